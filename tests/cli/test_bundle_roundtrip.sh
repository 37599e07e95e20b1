#!/usr/bin/env bash
# End-to-end round trips: custos seal, then open (and verify, inspect, check)
# as the receiver; every opened file has the sealed file's SHA-256, names,
# modes and mtimes survive, the opened directory is exactly the documented
# bag, and --json prints one JSON object. Includes a 4.2 GB sparse file whose
# seal and open must stay under 64 MiB peak RSS (set CUSTOS_TEST_SKIP_BIG=1 to
# leave it out on a slow machine; it reports itself skipped).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/roundtrip_lib.sh"
cd "$T" || exit 1
umask 022

# roundtrip NAME INPUT...: seals INPUTs into NAME.custos, opens into NAME.out,
# compares each INPUT with NAME.out/data/<base name>.
roundtrip() {
  local name=$1; shift
  seal_nl "$name.custos" "$@"
  expect_status 0
  open_with "$NL_KEY" "$name.custos" "$name.out"
  expect_status 0
  local in
  for in in "$@"; do
    if [ -d "$in" ]; then expect_same_tree "$in" "$name.out/data/$(basename "$in")"
    elif cmp -s "$in" "$name.out/data/$(basename "$in")"; then ok
    else fail "$in differs after the round trip"; fi
  done
  expect_valid_bag "$name.out"
  expect_no_stray "$T"
}

case_ "single recipient: files of several sizes"
mkdir -p ev1/sub
head -c 1 /dev/urandom >ev1/one; head -c 65536 /dev/urandom >ev1/chunk
head -c 1000003 /dev/urandom >ev1/sub/odd.bin; printf 'witness statement\n' >ev1/sub/s.txt
roundtrip r1 ev1 ev1/one
case_ "the opened OUTDIR is exactly the bag, mode 0700"
if [ "$(cd r1.out && ls -A | LC_ALL=C sort | tr '\n' ' ')" = \
  "bag-info.txt bagit.txt custos data manifest-sha256.txt tagmanifest-sha256.txt " ]; then ok
else fail "top level: $(ls -A r1.out | tr '\n' ' ')"; fi
if [ "$(cd r1.out/custos && ls -A | LC_ALL=C sort | tr '\n' ' ')" = \
  "custody.log manifest.json manifest.pb receipt.pb seal.pb " ]; then ok
else fail "custos/: $(ls -A r1.out/custos | tr '\n' ' ')"; fi
if [ "$(stat -c %a r1.out)" = 700 ]; then ok; else fail "OUTDIR mode $(stat -c %a r1.out)"; fi
# Every file custos writes has mode 0600 and a whole-second mtime (the custody
# log too, though the receiver's events are appended after it was staged).
for f in custody.log manifest.json manifest.pb receipt.pb seal.pb; do
  if [ "$(stat -c %a r1.out/custos/$f)" = 600 ] && [[ "$(stat -c %y r1.out/custos/$f)" == *.000000000* ]]
  then ok; else fail "custos/$f: mode $(stat -c %a r1.out/custos/$f), mtime $(stat -c %y r1.out/custos/$f)"; fi
done
if [ "$(ls r1.out/data | tr '\n' ' ')" = "ev1 one " ]; then ok; else fail "data/: $(ls r1.out/data)"; fi

case_ "two recipients (NL and the Eurojust stand-in) each open"
run seal -q -k "$SI_KEY" -r "$NL_PUB" -r "$EJ_PUB" --recipient-fingerprint "$NL_FP" \
  --recipient-fingerprint "$EJ_FP" --allow-example-keys -o r2.custos --case "$CASE_REF" ev1
expect_status 0
open_with "$NL_KEY" r2.custos r2.nl; expect_status 0; expect_same_tree ev1 r2.nl/data/ev1
# Each receiving authority has its own CUSTOS_HOME (its opened register).
CUSTOS_HOME="$T/home-ej" open_with "$EJ_KEY" r2.custos r2.ej; expect_status 0
expect_same_tree ev1 r2.ej/data/ev1
if grep -qF "opened before" "$ERR"; then fail "another receiver's open counted as a replay"; else ok; fi
run inspect r2.custos --json
expect_json 'd["recipient_stanzas"] == 2 and d["stanza_types"] == ["X25519", "X25519"]'

case_ "empty files"
mkdir ev3; : >ev3/empty1; : >ev3/empty2; : >lone-empty
roundtrip r3 ev3 lone-empty
if grep -qx 'Payload-Oxum: 0.3' r3.out/bag-info.txt; then ok; else fail "Payload-Oxum of empty files"; fi

case_ "an empty directory, and one inside a tree"
mkdir -p ev4/empty ev5/a/empty; printf x >ev5/a/f
roundtrip r4 ev4
roundtrip r5 ev5
if [ -d r5.out/data/ev5/a/empty ]; then ok; else fail "empty subdirectory not restored"; fi

case_ "a tree 40 directories deep"
deep=ev6; for i in $(seq 1 40); do deep="$deep/d$i"; done
mkdir -p "$deep"; printf 'at the bottom\n' >"$deep/leaf.txt"
roundtrip r6 ev6

case_ "non-ASCII and awkward names (NFC Slovene, Dutch, Cyrillic, CJK, spaces, %)"
mkdir ev7
python3 - ev7 <<'PY'
import os, sys, unicodedata
names = ["Žrtve in priče — čšž.txt", "coöperatie Ĳsselmeer.txt", "Свидетельство.txt",
         "証拠写真.jpg", "name with spaces 100% sure.txt", "literal %25 and %0A.txt"]
for n in names:
    n = unicodedata.normalize("NFC", n)
    os.makedirs(os.path.join(sys.argv[1], "Mapa – " + n[:3]), exist_ok=True)
    with open(os.path.join(sys.argv[1], n), "w") as f:
        f.write(n + "\n")
PY
roundtrip r7 ev7
if grep -qF 'data/ev7/literal %2525 and %250A.txt' r7.out/manifest-sha256.txt; then ok
else fail "'%' not percent-encoded in manifest-sha256.txt"; fi

case_ "modes (0640 file, 0750 dir, setuid dropped) and mtimes to the second"
mkdir -p ev8/d750; printf a >ev8/f640; printf b >ev8/suid
chmod 640 ev8/f640; chmod 4755 ev8/suid; chmod 750 ev8/d750
touch -d '2001-02-03 04:05:06.789' ev8/f640 ev8/d750
touch -d '1999-12-31 23:59:59' ev8/suid
roundtrip r8 ev8
modes=$(cd r8.out/data/ev8 && stat -c '%n %a %Y' f640 d750 suid | tr '\n' ';')
if [ "$modes" = "f640 640 981173106;d750 750 981173106;suid 755 946684799;" ]; then ok
else fail "modes and mtimes: $modes"; fi
# The umask decides nothing: a file is created with its mode only where the
# umask lets it through whole, and set afterwards otherwise.
(umask 0277 && open_with "$NL_KEY" r8.custos r8u.out)
modes=$(cd r8u.out/data/ev8 && stat -c '%n %a %Y' f640 d750 suid | tr '\n' ';')
if [ "$modes" = "f640 640 981173106;d750 750 981173106;suid 755 946684799;" ]; then ok
else fail "modes and mtimes under umask 0277: $modes"; fi

case_ "files and a bundle over 4 MiB (read ahead, O_DIRECT) round-trip with --threads 2 and 1"
# Unaligned sizes: the tail of each is read and written through the page cache.
mkdir -p evd; head -c 6000001 /dev/urandom >evd/a; head -c 9437187 /dev/urandom >evd/b; echo small >evd/c
seal_nl rd.custos --threads 2 evd; expect_status 0  # frame-parallel even on a 1-core runner
seal_nl rd1.custos --threads 1 evd; expect_status 0
for t in 0 1; do
  for b in rd rd1; do
    run verify -q $b.custos -k "$NL_KEY" --from "$SI_PUB" --allow-example-keys --threads $t; expect_status 0
    CUSTOS_HOME="$T/home-rd$t$b" open_with "$NL_KEY" $b.custos $b.t$t.out --threads $t; expect_status 0
    expect_same_tree evd $b.t$t.out/data/evd
  done
done
expect_no_stray "$T"

case_ "sealed on threads: one zstd frame per 2 MiB, and plain age | zstd | tar still recovers it"
if command -v age >/dev/null && command -v zstd >/dev/null; then
  "$CUSTOS" key export-age "$NL_KEY" --allow-example-keys >nl-rd.age 2>/dev/null
  for b in rd rd1; do
    age -d -i nl-rd.age $b.custos >$b.zst || fail "age -d $b.custos"
    frames=$(zstd -lv $b.zst 2>/dev/null | awk '/^# Zstandard Frames:/ {print $4}')
    echo "$b.custos: $frames zstd frame(s)"
    mkdir $b.plain; zstd -q -d -c $b.zst | tar -x -C $b.plain
    if [ "${PIPESTATUS[0]}${PIPESTATUS[1]}" = 00 ]; then ok; else fail "plain tools failed on $b.custos"; fi
    expect_same_tree evd $b.plain/*/data/evd
  done
  # 15.4 MB of evidence in 2 MiB frames: at least 8 (the tar headers add a little).
  frames=$(zstd -lv rd.zst 2>/dev/null | awk '/^# Zstandard Frames:/ {print $4}')
  if [ "${frames:-0}" -ge 8 ]; then ok; else fail "--threads 2 wrote ${frames:-no} frame(s), want >= 8"; fi
  frames=$(zstd -lv rd1.zst 2>/dev/null | awk '/^# Zstandard Frames:/ {print $4}')
  if [ "$frames" = 1 ]; then ok; else fail "--threads 1 wrote ${frames:-no} frame(s), want 1"; fi
  rm -rf rd.zst rd1.zst rd.plain rd1.plain
else
  echo "SKIP [$CASE]: age or zstd is not installed"
fi

case_ "no thread can be started (process limit): exit 4 and nothing left; --threads 1 still works"
# RLIMIT_NPROC counts threads; it does not bind root, so as root the commands
# run as nobody, in a directory of their own under /tmp (which nobody can
# reach; $T is private).
if command -v prlimit >/dev/null && { [ "$(id -u)" != 0 ] || command -v setpriv >/dev/null; }; then
  L=$(mktemp -d /tmp/custos-lim.XXXXXX); chmod 755 "$L"; mkdir -p "$L/home"
  cp -r evd rd.custos "$SI_KEY" "$NL_KEY" "$NL_PUB" "$SI_PUB" "$L/"
  limited() {
    if [ "$(id -u)" = 0 ]; then
      chown -R 65534:65534 "$L"
      (cd "$L" && CUSTOS_HOME="$L/home" setpriv --reuid=65534 --regid=65534 --clear-groups -- \
        prlimit --nproc=1 "$CUSTOS" "$@" >"$OUT" 2>"$ERR" </dev/null)
    else
      (cd "$L" && CUSTOS_HOME="$L/home" prlimit --nproc=1 "$CUSTOS" "$@" >"$OUT" 2>"$ERR" </dev/null)
    fi
    STATUS=$?
  }
  k() { basename "$1"; }
  limited seal -q -k "$(k "$SI_KEY")" -r "$(k "$NL_PUB")" --recipient-fingerprint "$NL_FP" \
    --allow-example-keys -o lim.custos --case "$CASE_REF" evd
  expect_status 4
  expect_stderr "custos: error: could not start a thread (Resource temporarily unavailable)"
  expect_stderr "custos: hint: raise the process limit on threads, or run with --threads 1"
  expect_no_file "$L/lim.custos"; expect_no_file "$L/lim.custos.sig"; expect_no_stray "$L"
  limited open -q rd.custos -k "$(k "$NL_KEY")" --from "$(k "$SI_PUB")" --allow-example-keys \
    --acknowledge -o lim.out
  expect_status 4
  expect_stderr "custos: error: could not start a thread (Resource temporarily unavailable)"
  expect_no_file "$L/lim.out"; expect_no_stray "$L"
  limited seal -q -k "$(k "$SI_KEY")" -r "$(k "$NL_PUB")" --recipient-fingerprint "$NL_FP" \
    --allow-example-keys -o lim1.custos --case "$CASE_REF" --threads 1 evd
  expect_status 0
  limited open -q lim1.custos -k "$(k "$NL_KEY")" --from "$(k "$SI_PUB")" --allow-example-keys \
    --acknowledge -o lim1.out --threads 1
  expect_status 0
  expect_same_tree evd "$L/lim1.out/data/evd"
  rm -rf "$L"
else
  echo "SKIP [$CASE]: prlimit (and, as root, setpriv) from util-linux are missing"
fi

case_ "--threads 1 (everything on one thread) opens and verifies the same tree"
mkdir -p evt/sub; head -c 3000000 /dev/urandom >evt/big; for i in $(seq 1 600); do printf 'f%s\n' "$i" >evt/sub/f$i; done
seal_nl rt.custos evt; expect_status 0
open_with "$NL_KEY" rt.custos rt.one --threads 1; expect_status 0
expect_same_tree evt rt.one/data/evt
CUSTOS_HOME="$T/home-rt" open_with "$NL_KEY" rt.custos rt.two; expect_status 0
if diff -r rt.one/data rt.two/data >/dev/null && cmp -s rt.one/manifest-sha256.txt rt.two/manifest-sha256.txt; then ok
else fail "--threads 1 and the default opened different trees"; fi
run verify -q rt.custos -k "$NL_KEY" --from "$SI_PUB" --allow-example-keys --threads 1; expect_status 0
seal_nl rt1.custos --threads 1 evt; expect_status 0
CUSTOS_HOME="$T/home-rt1" open_with "$NL_KEY" rt1.custos rt1.out --threads 1; expect_status 0
expect_same_tree evt rt1.out/data/evt
seal_nl rt2.custos --threads -3 evt
expect_status 2; expect_stderr "--threads: Value -3 not in range 0 to 1024"
if [ -e rt2.custos ]; then fail "a refused seal wrote its output"; else ok; fi
run verify -q rt.custos -k "$NL_KEY" --from "$SI_PUB" --allow-example-keys --threads -1
expect_status 2; expect_stderr "--threads: Value -1 not in range 0 to 1024"
# --threads 1 is honoured: no thread is created (clone with CLONE_THREAD).
if command -v strace >/dev/null; then
  threads_of() { strace -f -qq -e trace=clone,clone3 -o clones.txt "$CUSTOS" "$@" >/dev/null 2>&1
                 STATUS=$?; n=$(grep -c CLONE_THREAD clones.txt); }
  threads_of seal -q -k "$SI_KEY" -r "$NL_PUB" --recipient-fingerprint "$NL_FP" \
      --allow-example-keys --case X -o rt3.custos --threads 1 evt
  if [ "$STATUS" -eq 0 ] && [ "$n" -eq 0 ]; then ok; else fail "seal --threads 1: exit $STATUS, $n threads"; fi
  threads_of verify -q rt.custos -k "$NL_KEY" --from "$SI_PUB" --allow-example-keys --threads 1
  if [ "$STATUS" -eq 0 ] && [ "$n" -eq 0 ]; then ok; else fail "verify --threads 1: exit $STATUS, $n threads"; fi
  threads_of verify -q rt.custos -k "$NL_KEY" --from "$SI_PUB" --allow-example-keys
  if [ "$n" -gt 0 ]; then ok; else fail "the default verify started no thread (the checks above prove nothing)"; fi
else
  echo "SKIP: strace is missing; --threads 1 not checked for thread creation"
fi

case_ "a low limit on open files costs no file: seal opens files ahead only while it can"
# Seal opens up to 32 evidence files ahead of the one it reads; under a limit
# of 16 descriptors those opens fail with EMFILE, and each file is then opened
# at its own turn instead of failing the seal.
if command -v prlimit >/dev/null; then
  printf '#!/bin/sh\nexec prlimit --nofile=16 "%s" "$@"\n' "$CUSTOS" >lownf.sh; chmod +x lownf.sh
  CUSTOS_SAVED=$CUSTOS; CUSTOS="$T/lownf.sh"
  seal_nl lownf.custos evt; expect_status 0
  CUSTOS=$CUSTOS_SAVED
  open_with "$NL_KEY" lownf.custos lownf.out; expect_status 0
  expect_same_tree evt lownf.out/data/evt
else
  echo "SKIP [$CASE]: prlimit from util-linux is missing"
fi

case_ "sealing nothing is a usage error"
seal_nl r9.custos
expect_status 2; expect_stderr "nothing to seal"
expect_no_file r9.custos; expect_no_file r9.custos.sig

case_ "an existing empty OUTDIR is accepted and ends at mode 0700"
seal_nl r10.custos ev1/one; expect_status 0
mkdir -m 755 r10.out
open_with "$NL_KEY" r10.custos r10.out
expect_status 0
if cmp -s ev1/one r10.out/data/one; then ok; else fail "file differs"; fi
if [ "$(stat -c %a r10.out)" = 700 ]; then ok; else fail "OUTDIR mode $(stat -c %a r10.out)"; fi
case_ "a non-empty OUTDIR is refused and left as it was"
mkdir r10.full; printf keep >r10.full/mine
open_with "$NL_KEY" r10.custos r10.full
expect_status 4
if [ "$(ls -A r10.full)" = mine ] && [ "$(cat r10.full/mine)" = keep ]; then ok; else fail "OUTDIR changed"; fi
expect_no_stray "$T"

case_ "a FIFO where a bundle, its .sig, a key or a log is expected is refused at once (no hang)"
mkdir fifo; mkfifo fifo/f.custos fifo/k.key fifo/log
cp rt.custos fifo/b.custos; mkfifo fifo/b.custos.sig
# `timeout` turns a hang into exit 124, which no expectation below accepts.
run_fifo() { STATUS=0; timeout 20 "$CUSTOS" "$@" >"$OUT" 2>"$ERR" </dev/null || STATUS=$?; }
run_fifo verify -q fifo/b.custos -k "$NL_KEY" --from "$SI_PUB" --allow-example-keys
expect_status 4; expect_stderr "fifo/b.custos.sig: not a regular file"
run_fifo verify -q fifo/f.custos -k "$NL_KEY" --from "$SI_PUB" --allow-example-keys
expect_status 4; expect_stderr "fifo/f.custos: not a regular file"
run_fifo verify -q rt.custos -k fifo/k.key --from "$SI_PUB" --allow-example-keys
expect_status 4; expect_stderr "fifo/k.key: not a regular file"
run_fifo check fifo/b.custos --from "$SI_PUB" --allow-example-keys
expect_status 4; expect_stderr "fifo/b.custos.sig: not a regular file"
run_fifo custody verify fifo/log
expect_status 4; expect_stderr "is not a regular file"

case_ "conditions over 32 KiB together are refused when sealing (the receiver could not record them)"
long=$(head -c 20000 /dev/zero | tr '\0' 'u')
seal_nl big.custos --use-limitation "$long" --use-limitation "$long" evt
expect_status 2
expect_stderr "the use limitations and conditions are 40000 bytes together, over the limit of 32768"
if [ -e big.custos ] || [ -e big.custos.sig ]; then fail "a refused seal wrote its output"; else ok; fi
expect_no_stray "$T"

case_ "--no-transport-signature never leaves another bundle's .sig beside the new one"
seal_nl ns.custos evt; expect_status 0
seal_nl ns.custos --force --no-transport-signature evt; expect_status 0
expect_no_file ns.custos.sig
cp rt.custos.sig ns2.custos.sig
seal_nl ns2.custos --no-transport-signature evt
expect_status 4; expect_stderr "ns2.custos.sig: already exists and would not match the new bundle"
expect_no_file ns2.custos
expect_no_stray "$T"

case_ "a transport signature one byte over 16 KiB is refused before it is parsed"
head -c 16385 /dev/zero >big.sig
run check rt.custos --sig big.sig --from "$SI_PUB" --allow-example-keys
expect_status 1; expect_stderr "big.sig: is not a transport signature (too large)"

case_ "seal interrupted by SIGTERM or SIGHUP leaves no temporary file behind"
truncate -s 3G int-ev.img
# (SIGINT is handled alike, but a background job here starts with it ignored,
# and custos leaves an ignored signal ignored.)
for sig in TERM HUP; do
  mkdir -p "int-$sig"
  "$CUSTOS" seal -q -k "$SI_KEY" -r "$NL_PUB" --recipient-fingerprint "$NL_FP" \
    --allow-example-keys --case X -o "int-$sig/b.custos" int-ev.img >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 200); do ls int-$sig/.b.custos.tmp-* >/dev/null 2>&1 && break; sleep 0.05; done
  if ls int-$sig/.b.custos.tmp-* >/dev/null 2>&1; then ok; else fail "no temporary file appeared"; fi
  kill -"$sig" "$pid"; wait "$pid"; st=$?
  if [ "$st" -gt 128 ]; then ok; else fail "seal ended with $st, not by SIG$sig (finished too early?)"; fi
  expect_no_stray "int-$sig"; expect_no_file "int-$sig/b.custos"; expect_no_file "int-$sig/b.custos.sig"
done
rm -f int-ev.img

case_ "bag-info.txt: Payload-Oxum, External-Identifier, one Custos-Use-Limitation each"
LONG="Not to be used in any proceedings other than those named in the request without the prior written consent of the requested State"
seal_nl r11.custos ev1 --use-limitation "Only for case KT-77/2026" \
  --use-limitation "No onward transfer" --use-limitation "$LONG"
expect_status 0
open_with "$NL_KEY" r11.custos r11.out; expect_status 0
octets=$(find ev1 -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
count=$(find ev1 -type f | wc -l)
if python3 - r11.out/bag-info.txt "$octets.$count" "$CASE_REF" "$LONG" <<'PY'
import sys
text = open(sys.argv[1], encoding="utf-8").read()
# RFC 8493 §2.2.2 folding: an LF before a space or tab continues the value.
lines = text.replace("\n ", " ").replace("\n\t", "\t").splitlines()
fields = [l.split(": ", 1) for l in lines]
get = lambda k: [v for l, v in fields if l == k]
assert get("Payload-Oxum") == [sys.argv[2]], get("Payload-Oxum")
assert get("External-Identifier") == [sys.argv[3]], get("External-Identifier")
assert get("Custos-Use-Limitation") == ["Only for case KT-77/2026", "No onward transfer",
                                        sys.argv[4]], get("Custos-Use-Limitation")
assert len(get("Bagging-Date")) == 1 and len(get("Source-Organization")) == 1
PY
then ok; else fail "bag-info.txt fields"; fi

case_ "--json: seal, verify, open, inspect, check print exactly one JSON object"
seal_nl r12.custos ev1 --json
expect_status 0
expect_json 'len(d["bundle_id"]) == 32 and len(d["bundle_sha256"]) == 64 and
  int(d["bundle_size"]) > 0 and d["file_count"] == "4" and
  d["recipients"][0]["fingerprint"] == sys.argv[2] and len(d["seal_hash"]) == 64' "$NL_FP"
BID=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["bundle_id"])' <"$OUT")
BSHA=$(sha256sum r12.custos | cut -d' ' -f1)
if python3 -c 'import json,sys; assert json.load(sys.stdin)["bundle_sha256"] == sys.argv[1]' "$BSHA" <"$OUT"
then ok; else fail "seal --json bundle_sha256 is not the file's SHA-256"; fi
run verify -q r12.custos -k "$NL_KEY" --from "$SI_PUB" --allow-example-keys --json
expect_status 0
expect_json 'd["verified"] is True and d["bundle_id"] == sys.argv[2] and
  d["sender"]["fingerprint"] == sys.argv[3] and d["file_count"] == "4" and
  d["case_metadata"]["case_reference"] == sys.argv[4] and d["transport_signature"] == "verified"' \
  "$BID" "$SI_FP" "$CASE_REF"
open_with "$NL_KEY" r12.custos r12.out --json
expect_status 0
expect_json 'd["verified"] is True and d["bundle_id"] == sys.argv[2] and d["payload_bytes"] == sys.argv[3]' \
  "$BID" "$(find ev1 -type f -printf '%s\n' | awk '{s+=$1} END {print s}')"
run inspect r12.custos --json
expect_status 0
expect_json 'd["format"] == "age-encryption.org/v1" and d["recipient_stanzas"] == 1 and
  d["transport_signature_present"] is True and int(d["size"]) == int(sys.argv[2])' \
  "$(stat -c %s r12.custos)"
run check r12.custos --from "$SI_PUB" --allow-example-keys --json
expect_status 0
expect_json 'd["intact"] is True and d["signer"]["fingerprint"] == sys.argv[2]' "$SI_FP"

# ---- a 4.2 GB sparse file, bounded memory --------------------------------
case_ "a sparse file over 4 GiB: identical SHA-256, seal and open under 64 MiB RSS"
if [ "${CUSTOS_TEST_SKIP_BIG:-0}" = 1 ]; then
  echo "SKIP [$CASE]: CUSTOS_TEST_SKIP_BIG=1"
elif [ ! -x /usr/bin/time ]; then
  echo "SKIP [$CASE]: /usr/bin/time is missing (package time; scripts/setup installs it)"
else
  mkdir big
  truncate -s 4200M big/big
  printf x | dd of=big/big bs=1 seek=123456789 conv=notrunc 2>/dev/null
  t0=$(date +%s)
  /usr/bin/time -f %M -o seal.rss "$CUSTOS" seal -q -k "$SI_KEY" -r "$NL_PUB" \
    --recipient-fingerprint "$NL_FP" --allow-example-keys -o big.custos --case "$CASE_REF" \
    --threads 4 big/big >"$OUT" 2>"$ERR"; STATUS=$?  # the most compression workers there are
  expect_status 0
  t1=$(date +%s)
  open_with_time() {
    /usr/bin/time -f %M -o open.rss "$CUSTOS" open -q big.custos -k "$NL_KEY" --from "$SI_PUB" \
      --allow-example-keys --acknowledge -o big.out >"$OUT" 2>"$ERR"; STATUS=$?
  }
  open_with_time
  expect_status 0
  t2=$(date +%s)
  want=$(sha256sum big/big | cut -d' ' -f1)
  got=$(sha256sum big.out/data/big 2>/dev/null | cut -d' ' -f1)
  if [ -n "$got" ] && [ "$want" = "$got" ]; then ok; else fail "SHA-256 $got, sealed $want"; fi
  seal_kb=$(tail -1 seal.rss); open_kb=$(tail -1 open.rss)
  echo "4.2 GB sparse file: bundle $(stat -c %s big.custos) bytes; seal $((t1 - t0)) s, peak RSS $seal_kb KB; open $((t2 - t1)) s, peak RSS $open_kb KB"
  if [ "$seal_kb" -lt 65536 ]; then ok; else fail "seal peak RSS $seal_kb KB >= 65536 KB"; fi
  if [ "$open_kb" -lt 65536 ]; then ok; else fail "open peak RSS $open_kb KB >= 65536 KB"; fi
  rm -rf big big.out big.custos
fi

finish
