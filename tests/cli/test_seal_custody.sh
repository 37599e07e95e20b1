#!/usr/bin/env bash
# End-to-end: seal --custody continues a laboratory's log, embeds it with
# SEALED, appends the identical record to the log only once the bundle is
# complete, and leaves the log untouched when sealing fails; open extends the
# embedded log with the receiver's events; the receipt anchors it.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
SI="$EXAMPLES/si-central-authority"; NL="$EXAMPLES/nl-central-authority"; LAB="$EXAMPLES/forensic-lab"
NLFP=$("$CUSTOS" key fingerprint "$NL.pub" 2>/dev/null)
mkdir -p ev && printf 'image\n' > ev/disk.img && printf 'kept back\n' > notsent.txt
sum() { sha256sum "$1" | cut -d' ' -f1; }
seal() { run seal -k "$SI.key" -r "$NL.pub" --recipient-fingerprint "$NLFP" --allow-example-keys --case K-9 "$@"; }

case_ "the lab's log"
run custody append lab.log -k "$LAB.key" --allow-example-keys --action ACQUIRED --item ev/disk.img --item notsent.txt
expect_status 0
run custody append lab.log -k "$LAB.key" --allow-example-keys --action ANALYSED --note "read-only"
expect_status 0
before=$(sum lab.log); size_before=$(stat -c %s lab.log)

case_ "sealing fails (missing input): the log is unchanged and no bundle exists"
seal --custody lab.log -o fail.custos ev missing-input
expect_status 4
expect_stderr "missing-input"
[ "$(sum lab.log)" = "$before" ] && ok || fail "lab.log changed by a failed seal"
expect_no_file fail.custos; expect_no_file fail.custos.sig; expect_no_stray "$T"

case_ "sealing fails (recipient not trusted): the log is unchanged"
run seal -k "$SI.key" -r "$NL.pub" --allow-example-keys --case K-9 --custody lab.log -o fail.custos ev
expect_status 3
expect_stderr "neither in the trust store nor confirmed"
[ "$(sum lab.log)" = "$before" ] && ok || fail "lab.log changed by a failed seal"
expect_no_file fail.custos

case_ "seal --custody warns about item digests that are not in the bundle"
seal --custody lab.log -o B.custos ev
expect_status 0
expect_stderr "names 1 item digest(s) that are not in this bundle"

case_ "the lab log gained exactly one SEALED record, appended (earlier bytes unchanged)"
run custody verify lab.log --from "$LAB.pub" --from "$SI.pub" --allow-example-keys
expect_status 0
run custody show lab.log --json
expect_status 0
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); ev=d["events"]; assert len(ev)==3, len(ev); assert ev[2]["event"]["action"]=="SEALED", ev[2]' "$OUT" && ok || fail "lab.log does not end with SEALED as its third event"
[ "$(head -c "$size_before" lab.log | sha256sum | cut -d' ' -f1)" = "$before" ] && ok || fail "earlier bytes of lab.log were rewritten"

case_ "open: the opened log is the lab log plus the receiver's four events"
run open B.custos -k "$NL.key" --from "$SI.pub" --allow-example-keys --acknowledge -o out --receipt r.pb
expect_status 0
expect_stderr "match no file in this bundle"
n=$(stat -c %s lab.log)
[ "$(head -c "$n" out/custos/custody.log | sha256sum | cut -d' ' -f1)" = "$(sum lab.log)" ] && ok || fail "opened log does not extend the lab log"
run custody show out/custos/custody.log --json
python3 -c '
import json,sys
ev=json.load(open(sys.argv[1]))["events"]
acts=[e["event"]["action"] for e in ev]
assert acts==["ACQUIRED","ANALYSED","SEALED","RECEIVED","VERIFIED","CONDITIONS_ACKNOWLEDGED","OPENED"], acts
' "$OUT" && ok || fail "unexpected event sequence in the opened log"

case_ "the receipt anchors the opened log; a removed tail is detected"
run custody verify out/custos/custody.log --receipt r.pb --from "$NL.pub" --allow-example-keys
expect_status 0
python3 - out/custos/custody.log short.log <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
# drop the last record: parse varint-delimited records
i, starts = 0, []
while i < len(data):
    starts.append(i); n = 0; s = 0
    while True:
        b = data[i]; i += 1; n |= (b & 0x7f) << s; s += 7
        if b < 0x80: break
    i += n
open(sys.argv[2], 'wb').write(data[:starts[-1]])
PY
run custody verify short.log --receipt r.pb --from "$NL.pub" --allow-example-keys
expect_status 1; expect_stderr "does not extend the head anchored by the receipt"

case_ "a broken custody log is refused by seal, naming it"
cp lab.log broken.log && printf 'garbage' >> broken.log
seal --custody broken.log -o B2.custos ev
expect_status 1
expect_stderr "broken.log"
expect_no_file B2.custos
finish
