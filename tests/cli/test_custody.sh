#!/bin/bash
# custos custody append|show|verify|checkpoint, as a user meets them: each bad
# log through the binary, asserting the exit code and the sentence naming the event.
. "$(dirname "$0")/lib.sh"
export CUSTOS_FIXED_TIME=1790000000
LAB="$EXAMPLES/forensic-lab"; SI="$EXAMPLES/si-central-authority"; NL="$EXAMPLES/nl-central-authority"
L="$T/case.log"
echo "disk image bytes" > "$T/disk.img"
size() { stat -c %s "$1"; }
# slice FILE FROM TO: bytes [FROM, TO) of FILE.
slice() { tail -c +"$(($2 + 1))" "$1" | head -c "$(($3 - $2))"; }

case_ "append with an example key needs --allow-example-keys"
run custody append "$L" -k "$LAB.key" --action ACQUIRED
expect_status 3; expect_stderr "is a public example key"; expect_no_file "$L"

case_ "an unknown action is a usage error listing the valid ones"
run custody append "$L" -k "$LAB.key" --allow-example-keys --action bogus
expect_status 2; expect_stderr "unknown custody action 'bogus'"; expect_stderr "ONWARD_TRANSFERRED"
expect_no_file "$L"

case_ "append three events"
run custody append "$L" -k "$LAB.key" --allow-example-keys --action acquired --location "Kharkiv" \
  --note "seized phone" --item "$T/disk.img"
expect_status 0; expect_stdout "appended event 0 (ACQUIRED)"
S1=$(size "$L")
run custody append "$L" -k "$SI.key" --allow-example-keys --action TRANSFERRED --authorisation "MLA 2026/17"
expect_status 0; S2=$(size "$L")
run custody append "$L" -k "$NL.key" --allow-example-keys --action RECEIVED
expect_status 0; S3=$(size "$L")
HEAD=$(sed -n 's/^event hash: //p' "$OUT")
[ "$(stat -c %a "$L")" = 600 ] && ok || fail "log mode is $(stat -c %a "$L"), expected 600"
slice "$L" 0 "$S1" > "$T/r0"; slice "$L" "$S1" "$S2" > "$T/r1"; slice "$L" "$S2" "$S3" > "$T/r2"

case_ "show: a timeline with unverified names"
run custody show "$L"
expect_status 0; expect_stdout "ACQUIRED"; expect_stdout "sha256 "
expect_stdout "\"EXAMPLE Forensic Laboratory\" (unverified name"
case_ "show: trusted names from --from"
run custody show "$L" --from "$LAB.pub" --allow-example-keys
expect_status 0; expect_stdout "actor: EXAMPLE Forensic Laboratory (Forensic Institute (example), NL)"
case_ "show --json prints exactly one JSON object"
run custody show "$L" --json
expect_status 0
[ "$(wc -l < "$OUT")" -eq 1 ] && ok || fail "stdout is not one line"
if command -v python3 >/dev/null; then
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["events"])==3' "$OUT" && ok || fail "bad JSON"
fi
case_ "show --format markdown and case"
run custody show "$L" --format markdown
expect_status 0; expect_stdout "# Chain-of-custody report"; expect_stdout "### Event 2"
run custody show "$L" --format case
expect_status 0; expect_stdout '"@type":"case-investigation:InvestigativeAction"'; expect_stdout '"uco-types:hashValue"'
run custody show "$L" --format pdf
expect_status 2; expect_stderr "unknown format 'pdf'"

case_ "verify without --strict: exit 0, naming unknown actors"
run custody verify "$L"
expect_status 0; expect_stdout "3 events"
expect_stderr "actor \"EXAMPLE Forensic Laboratory\" (742a ed23"; expect_stderr "is not a trusted identity"
case_ "verify --strict with unknown actors: exit 1"
run custody verify "$L" --strict --from "$LAB.pub" --allow-example-keys
expect_status 1; expect_stderr "2 actor(s) of the log are not trusted (--strict)"
expect_stderr "EXAMPLE Central Authority of Slovenia"
case_ "verify --strict with every actor pinned: exit 0"
run custody verify "$L" --strict --from "$LAB.pub" --from "$SI.pub" --from "$NL.pub" --allow-example-keys
expect_status 0; expect_stdout "result: ok"
case_ "verify --json"
run custody verify "$L" --json
expect_status 0; expect_stdout '"events":3'
[ "$(wc -l < "$OUT")" -eq 1 ] && ok || fail "stdout is not one line"

case_ "swapped events"
cat "$T/r0" "$T/r2" "$T/r1" > "$T/swapped.log"
run custody verify "$T/swapped.log"
expect_status 1; expect_stderr "event 1: sequence number is 2, expected 1"
case_ "removed event"
cat "$T/r0" "$T/r2" > "$T/removed.log"
run custody verify "$T/removed.log"
expect_status 1; expect_stderr "event 1: sequence number is 2, expected 1"
case_ "truncated last record"
head -c $((S3 - 7)) "$L" > "$T/truncated.log"
run custody verify "$T/truncated.log"
expect_status 1; expect_stderr "event 2: record truncated"
case_ "garbage appended"
{ cat "$L"; printf '\x05junk!'; } > "$T/garbage.log"
run custody verify "$T/garbage.log"
expect_status 1; expect_stderr "event 3"
case_ "a changed byte in an event"
cp "$L" "$T/flipped.log"
OFF=$(grep -boa "seized phone" "$T/flipped.log" | head -1 | cut -d: -f1)
printf 'S' | dd of="$T/flipped.log" bs=1 seek="$OFF" conv=notrunc status=none
run custody verify "$T/flipped.log"
expect_status 1; expect_stderr "event 0: signature invalid"
case_ "a huge length prefix"
{ cat "$L"; printf '\xff\xff\xff\xff\x0f'; } > "$T/huge.log"
run custody verify "$T/huge.log"
expect_status 1; expect_stderr "event 3: record length 4294967295 exceeds the limit of 65536 bytes"
case_ "verify --json on a broken log still prints one object"
run custody verify "$T/swapped.log" --json
expect_status 1; expect_stdout '"ok":false'; expect_stderr "event 1: sequence number is 2, expected 1"
case_ "show prints nothing for a broken log"
run custody show "$T/swapped.log" --json
expect_status 1; [ -s "$OUT" ] && fail "stdout not empty" || ok

case_ "append refuses to extend a broken log and leaves it unchanged"
cp "$T/swapped.log" "$T/swapped.orig"
run custody append "$T/swapped.log" -k "$LAB.key" --allow-example-keys --action NOTE
expect_status 1; expect_stderr "event 1: sequence number is 2, expected 1"
cmp -s "$T/swapped.log" "$T/swapped.orig" && ok || fail "log was modified"

case_ "--expect-head: the log extends the head"
run custody verify "$L" --expect-head "$HEAD:2"
expect_status 0; expect_stdout "expect-head: extended"
case_ "--expect-head: a removed tail fails"
cat "$T/r0" "$T/r1" > "$T/cut.log"
run custody verify "$T/cut.log" --expect-head "$HEAD:2"
expect_status 1; expect_stderr "the log does not extend the head anchored by the --expect-head: it holds 2 events"
run custody verify "$T/cut.log" --expect-head "$HEAD"
expect_status 1; expect_stderr "no event of the log has this hash"
case_ "--expect-head that is not a hash"
run custody verify "$L" --expect-head "nothex:1"
expect_status 2; expect_stderr "is not HASH or HASH:SEQ"

case_ "checkpoint round trip"
run custody checkpoint "$L" -k "$SI.key" --allow-example-keys -o "$T/case.cp"
expect_status 0; expect_stdout "at event 2"; expect_file "$T/case.cp"
run custody checkpoint "$L" -k "$SI.key" --allow-example-keys -o "$T/case.cp"
expect_status 4; expect_stderr "already exists"
run custody append "$L" -k "$NL.key" --allow-example-keys --action DISCLOSED --note "to the prosecutor"
expect_status 0
run custody verify "$L" --checkpoint "$T/case.cp" --from "$SI.pub" --from "$NL.pub" --from "$LAB.pub" --allow-example-keys --strict
expect_status 0; expect_stdout "checkpoint $T/case.cp: extended"
run custody verify "$T/cut.log" --checkpoint "$T/case.cp"
expect_status 1; expect_stderr "does not extend the head anchored by the checkpoint"
case_ "checkpoint of an empty log"
: > "$T/empty.log"
run custody checkpoint "$T/empty.log" -k "$SI.key" --allow-example-keys -o "$T/empty.cp"
expect_status 2; expect_stderr "holds no events"; expect_no_file "$T/empty.cp"
case_ "a tampered checkpoint"
cp "$T/case.cp" "$T/bad.cp"
# Change the signature's last byte (to 00, or to 01 if it already is 00).
LASTB=$(tail -c 1 "$T/bad.cp" | od -An -tx1 | tr -d ' ')
if [ "$LASTB" = 00 ]; then NEWB='\x01'; else NEWB='\x00'; fi
printf "$NEWB" | dd of="$T/bad.cp" bs=1 seek=$(( $(size "$T/bad.cp") - 1 )) conv=notrunc status=none
cmp -s "$T/case.cp" "$T/bad.cp" && fail "checkpoint not changed" || ok
run custody verify "$L" --checkpoint "$T/bad.cp"
expect_status 1; expect_stderr "signature invalid"

case_ "a missing log"
run custody verify "$T/nope.log"
expect_status 4
case_ "help shows examples"
run custody verify --help
expect_status 0; expect_stdout "--expect-head"
expect_no_stray "$T"
case_ "a checkpoint or receipt one byte over 64 KiB is refused before it is parsed"
head -c 65537 /dev/zero >"$T/big.cp"
run custody verify "$L" --checkpoint "$T/big.cp" --from "$SI.pub" --allow-example-keys
expect_status 1; expect_stderr "big.cp: file is larger than the limit of 65536 bytes"
run custody verify "$L" --receipt "$T/big.cp" --from "$SI.pub" --allow-example-keys
expect_status 1; expect_stderr "big.cp: file is larger than the limit of 65536 bytes"

finish
