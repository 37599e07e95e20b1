#!/usr/bin/env bash
# End-to-end: an opened bundle is a BagIt bag (RFC 8493), and so is the bag a
# receiver without custos recovers with `age -d | zstd -d | tar -x` — the same
# bytes; the validator used for this can fail; verifying against a trust store
# instead of --from; the opened register warns when a bundle is opened again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/roundtrip_lib.sh"
cd "$T" || exit 1
umask 022

mkdir -p ev/sub ev/empty-dir
head -c 200000 /dev/urandom >ev/photo.jpg
printf 'izjava priče\n' >"ev/sub/Izjava – priča 100%.txt"
printf 'line\n' >"ev/sub/odd %0A name.txt"
: >ev/empty.txt
seal_nl B.custos ev --use-limitation "Only for case KT-77/2026"
expect_status 0

case_ "opened for the first time: no replay warning"
open_with "$NL_KEY" B.custos o1
expect_status 0
if grep -qF "opened before" "$ERR"; then fail "first open warned of a replay"; else ok; fi
expect_same_tree ev o1/data/ev

case_ "the opened bundle is a valid bag"
expect_valid_bag o1

case_ "plain age | zstd | tar recovers the same bag"
if command -v age >/dev/null && command -v zstd >/dev/null; then
  "$CUSTOS" key export-age "$NL_KEY" --allow-example-keys >nl.age 2>/dev/null
  mkdir plain
  age -d -i nl.age B.custos | zstd -q -d | tar -x -C plain/
  if [ "${PIPESTATUS[0]}${PIPESTATUS[1]}${PIPESTATUS[2]}" = 000 ]; then ok; else fail "plain tools failed"; fi
  top=$(ls -A plain)
  if [ "$(echo "$top" | wc -l)" = 1 ] && [ -d "plain/$top" ]; then ok; else fail "not one top directory: $top"; fi
  P="plain/$top"
  expect_valid_bag "$P"
  expect_same_tree "$P/data" o1/data
  for f in bagit.txt bag-info.txt manifest-sha256.txt tagmanifest-sha256.txt \
    custos/manifest.pb custos/seal.pb; do
    if cmp -s "$P/$f" "o1/$f"; then ok; else fail "$f differs between plain tools and custos open"; fi
  done
  # open appends the receiver's events: the sealed log is a byte prefix.
  n=$(stat -c %s "$P/custos/custody.log")
  if [ "$(stat -c %s o1/custos/custody.log)" -gt "$n" ] && cmp -s -n "$n" "$P/custos/custody.log" o1/custos/custody.log
  then ok; else fail "the sealed custody log is not a prefix of the opened one"; fi
else
  echo "SKIP [$CASE]: age or zstd is not installed"
fi

# ---- the validator can fail ----------------------------------------------
# broken NAME CMD: copies o1 to NAME, runs CMD in it, expects the validator to
# refuse it saying REASON ($3).
broken() {
  rm -rf "$1"; cp -a o1 "$1"
  (cd "$1" && eval "$2")
  if python3 "$VALIDATE" "$1" >"$OUT" 2>"$ERR"; then fail "validator accepted a broken bag"
  else STATUS=$?; expect_status 1; expect_stderr "$3"; fi
}
case_ "validator: a payload file changed (same size)"
broken v1 'printf X | dd of=data/ev/photo.jpg bs=1 seek=100 conv=notrunc 2>/dev/null' \
  "checksum of 'data/ev/photo.jpg' does not match"
case_ "validator: a file added under data/"
broken v2 'printf x >data/ev/extra' "'data/ev/extra' is not listed in manifest-sha256.txt"
case_ "validator: a listed file removed"
broken v3 'rm data/ev/empty.txt' "lists 'data/ev/empty.txt', which is not a file"
case_ "validator: fetch.txt"
broken v4 ': >fetch.txt' "fetch.txt present"
case_ "validator: Payload-Oxum wrong"
broken v5 'sed -i "s/^Payload-Oxum: .*/Payload-Oxum: 1.1/" bag-info.txt' "Payload-Oxum"
case_ "validator: a tag file changed"
broken v6 'printf "X-Note: added\n" >>bag-info.txt' "checksum of 'bag-info.txt' does not match"
case_ "validator: bagit.txt version"
broken v7 'printf "BagIt-Version: 0.96\nTag-File-Character-Encoding: UTF-8\n" >bagit.txt' "bad version line"
case_ "validator: a percent-encoded name decoded wrongly would be unlisted"
broken v8 'mv "data/ev/sub/odd %0A name.txt" "data/ev/sub/odd %250A name.txt"' "is not listed"

# ---- trust store instead of --from ---------------------------------------
case_ "verify with --trust-dir holding the sender"
mkdir -m 700 trust
run trust add --allow-example-keys --trust-dir trust "$SI_PUB"
expect_status 0
run verify -q B.custos -k "$NL_KEY" --trust-dir trust --allow-example-keys --json
expect_status 0
expect_json 'd["verified"] is True and d["sender"]["trusted"] is True and d["sender"]["fingerprint"] == sys.argv[2]' "$SI_FP"
case_ "verify with an empty --trust-dir: untrusted sender"
mkdir -m 700 trust-empty
run verify -q B.custos -k "$NL_KEY" --trust-dir trust-empty --allow-example-keys
expect_status 1; expect_stderr "untrusted sender"; expect_stderr "$SI_FP"
case_ "seal to a recipient in --trust-dir needs no --recipient-fingerprint"
run trust add --allow-example-keys --trust-dir trust "$NL_PUB"
expect_status 0
run seal -q -k "$SI_KEY" -r "$NL_PUB" --trust-dir trust --allow-example-keys -o T.custos \
  --case "$CASE_REF" ev
expect_status 0
run verify -q T.custos -k "$NL_KEY" --trust-dir trust --allow-example-keys
expect_status 0
case_ "seal to a recipient neither trusted nor confirmed is refused"
run seal -q -k "$SI_KEY" -r "$NL_PUB" --trust-dir trust-empty --allow-example-keys -o U.custos \
  --case "$CASE_REF" ev
expect_status 3
expect_no_file U.custos; expect_no_file U.custos.sig

# ---- the opened register --------------------------------------------------
case_ "opening the same bundle again warns 'opened before' and names the first OUTDIR"
open_with "$NL_KEY" B.custos o2
expect_status 0
expect_stderr "opened before"
expect_stderr "o1"
expect_same_tree ev o2/data/ev
case_ "verify alone does not count as an open"
seal_nl C.custos ev; expect_status 0
run verify -q C.custos -k "$NL_KEY" --from "$SI_PUB" --allow-example-keys
expect_status 0
open_with "$NL_KEY" C.custos c1
expect_status 0
if grep -qF "opened before" "$ERR"; then fail "verify was recorded as an open"; else ok; fi
expect_no_stray "$T"

finish
