#!/usr/bin/env bash
# tests/cli/test_review.sh — attacks found in the security review: every
# payload byte must be bound by a signature (the seal member's own tar header
# and its protobuf wrapper included), and `open` must refuse an output parent
# that another user controls.
source "$CUSTOS_SOURCE_DIR/tests/cli/lib.sh"
for tool in age zstd python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
cd "$T" || exit 1
PY="python3 $CUSTOS_SOURCE_DIR/tests/cli/review_tar.py"
SI=$EXAMPLES/si-central-authority
NL=$EXAMPLES/nl-central-authority
NLFP=$("$CUSTOS" key fingerprint "$NL.pub")
NL_AGE=$("$CUSTOS" key export-age "$NL.pub" --allow-example-keys 2>/dev/null)
"$CUSTOS" key export-age "$NL.key" --allow-example-keys >nl.age 2>/dev/null
mkdir -p ev && printf 'hello\n' >ev/a.txt
"$CUSTOS" seal ev -k "$SI.key" -r "$NL.pub" --recipient-fingerprint "$NLFP" -o good.custos \
  --case CASE-7 --allow-example-keys >/dev/null 2>&1 || { echo "setup: seal failed"; exit 1; }
age -d -i nl.age good.custos | zstd -q -d >good.tar || { echo "setup: decrypt failed"; exit 1; }

# The genuine payload, re-wrapped by a co-recipient, still verifies (control).
zstd -q -c good.tar | age -r "$NL_AGE" >rewrapped.custos
case_ "control: re-wrapped genuine payload verifies"
run verify rewrapped.custos -k "$NL.key" --from "$SI.pub" --allow-example-keys
expect_status 0

# A co-recipient alters the payload in a way no check used to see.
# attack KIND MESSAGE: verify and open must fail with exit 1 and MESSAGE; open
# must leave no OUTDIR and no staging directory.
attack() {
  local kind=$1 msg=$2
  $PY "$kind" good.tar "$kind.tar" || { fail "surgery $kind failed"; return; }
  zstd -q -c "$kind.tar" | age -r "$NL_AGE" >"$kind.custos"
  case_ "$kind: verify"
  run verify "$kind.custos" -k "$NL.key" --from "$SI.pub" --allow-example-keys
  expect_status 1; expect_stderr "$msg"
  case_ "$kind: open"
  expect_open_fails "$kind.custos" 1 "$msg" -k "$NL.key" --from "$SI.pub"
}
# The seal member's tar header is outside the tar transcript (which ends where
# the seal begins), so it must be exactly the header custos writes.
attack paxseal "seal member's tar header"
attack globalseal "seal member's tar header"
attack sealmtime "seal member's tar header"
attack sealuname "seal member's tar header"
# SignedSeal is not signed as a whole: a duplicated field (protobuf keeps the
# last) would put unsigned bytes into OUTDIR/custos/seal.pb.
attack sealdup "canonical"

# A trusted sender's conditions are shown at the acknowledgement prompt: a
# terminal control sequence in them could erase or rewrite what the receiver
# reads before acknowledging, so they are shown escaped.
case_ "conditions with terminal escapes are shown escaped"
"$CUSTOS" seal ev -k "$SI.key" -r "$NL.pub" --recipient-fingerprint "$NLFP" -o esc.custos \
  --case CASE-7 --use-limitation "$(printf 'may be used in any proceedings\033[2K\rcase CASE-7 only')" \
  --allow-example-keys >/dev/null 2>&1 || fail "seal with an escape in a condition failed"
run open esc.custos -k "$NL.key" --from "$SI.pub" --allow-example-keys --acknowledge -o "$T/out-esc"
expect_status 0
if grep -q "$(printf '\033')" "$ERR"; then fail "a raw ESC reached the terminal"; else ok; fi
expect_stderr 'may be used in any proceedings\x1b[2K\x0dcase CASE-7 only'

# An output parent owned by another user is refused even when it is not
# group/other-writable: its owner could swap the staging directory.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
  case_ "open into a parent owned by another user"
  mkdir -p "$T/theirs" && chown nobody "$T/theirs" && chmod 755 "$T/theirs"
  run open good.custos -k "$NL.key" --from "$SI.pub" --allow-example-keys --acknowledge -o "$T/theirs/out"
  expect_status 4; expect_stderr "owned by another user"
  expect_no_file "$T/theirs/out"; expect_no_stray "$T/theirs"
fi
finish
