#!/usr/bin/env bash
# End-to-end: custos keygen and custos key show|fingerprint|export-age, with
# every bad input of the "Foundation" issue: exit code, error sentence, and
# that nothing was written.
. "$(dirname "$0")/lib.sh"
export CUSTOS_TEST_FAST_KDF=1   # minimum Argon2id limits: tests only
cd "$T" || exit 1
printf 'correct horse battery\n' > pw
printf 'wrong\n' > badpw
sum() { sha256sum "$@" | cut -d' ' -f1 | tr '\n' ' '; }
# rearmor IN OUT PYEXPR: decodes a .pub's armored SignedIdentity into `b`
# (bytearray), applies PYEXPR, re-armors (comments kept) into OUT.
rearmor() {
  python3 - "$1" "$2" "$3" <<'PY'
import base64, sys
src, dst, expr = sys.argv[1:]
lines = open(src).read().split("\n")
head = [l for l in lines if l.startswith("#")]
i, j = lines.index([l for l in lines if l.startswith("-----BEGIN")][0]), \
       lines.index([l for l in lines if l.startswith("-----END")][0])
b = bytearray(base64.b64decode("".join(lines[i + 1:j])))
exec(expr)
enc = base64.b64encode(bytes(b)).decode()
body = [enc[k:k + 64] for k in range(0, len(enc), 64)]
open(dst, "w").write("\n".join(head + [lines[i]] + body + [lines[j]]) + "\n")
PY
}

case_ "keygen with a passphrase file"
run keygen --name "Test Authority" --org "Ministry of Justice" --country si --role "central authority" \
  --email ta@example.org --out ta --passphrase-file pw
expect_status 0
expect_file ta.key; expect_file ta.pub
expect_stdout "fingerprint: "
if [ "$(stat -c %a ta.key)" = 600 ]; then ok; else fail "ta.key mode $(stat -c %a ta.key)"; fi
expect_no_stray "$T"

case_ "key fingerprint prints exactly one line"
run key fingerprint ta.pub
expect_status 0
if [ "$(wc -l < "$OUT")" -eq 1 ] && grep -qE '^([0-9a-f]{4} ){15}[0-9a-f]{4}$' "$OUT"; then ok; else fail "not one fingerprint line"; fi
FP=$(cat "$OUT")
run key fingerprint ta.key --passphrase-file pw
expect_status 0
if [ "$(cat "$OUT")" = "$FP" ]; then ok; else fail ".key and .pub fingerprints differ"; fi

case_ "key show --json is one JSON object with the identity fields"
run key show ta.pub --json
expect_status 0
if python3 -m json.tool "$OUT" >/dev/null; then ok; else fail "not JSON"; fi
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); i=d["identity"]; \
  assert i["name"]=="Test Authority" and i["country"]=="SI" and i["organisation"]=="Ministry of Justice" \
  and d["fingerprint"]==sys.argv[2]' "$OUT" "$FP"; then ok; else fail "JSON lacks identity fields"; fi
run key show ta.key --passphrase-file pw --json
expect_status 0
if python3 -m json.tool "$OUT" >/dev/null; then ok; else fail "key show .key --json not JSON"; fi

case_ "key show (text) on a .key"
run key show ta.key --passphrase-file pw
expect_status 0
expect_stdout "name:          Test Authority"
expect_stdout "age recipient: age1"

case_ "wrong passphrase"
run key show ta.key --passphrase-file badpw
expect_status 3
expect_stderr "wrong passphrase or damaged key file"
if [ -s "$OUT" ]; then fail "printed something"; else ok; fi

case_ "protected key, no terminal, no --passphrase-file"
setsid -w "$CUSTOS" key show ta.key >"$OUT" 2>"$ERR" </dev/null; STATUS=$?
expect_status 3
expect_stderr "no terminal"
expect_stderr "--passphrase-file"

case_ "truncated key file"
head -c 300 ta.key > trunc.key
run key show trunc.key --passphrase-file pw
expect_status 3
expect_stderr "trunc.key"
expect_stderr "truncated"

case_ "garbled key file"
sed '6s/^..../!!!!/' ta.key > garbled.key
run key show garbled.key --passphrase-file pw
expect_status 3
expect_stderr "garbled.key"

case_ "non-custos key file"
printf 'ssh-ed25519 AAAA not a custos key\n' > other.key
run key show other.key --passphrase-file pw
expect_status 3
expect_stderr "other.key"
run key export-age other.key
expect_status 3
expect_stderr "other.key"

case_ ".pub with altered identity bytes"
rearmor ta.pub altered.pub 'k = b.find(b"Test Authority"); b[k:k+4] = b"Evil"'
run key show altered.pub
expect_status 1
expect_stderr "self-signature invalid"
if [ -s "$OUT" ]; then fail "printed an identity"; else ok; fi

case_ ".pub with altered self-signature"
rearmor ta.pub badsig.pub 'b[-5] ^= 1'
run key fingerprint badsig.pub
expect_status 1
expect_stderr "self-signature invalid"

case_ "keygen refuses existing files and leaves them untouched"
before=$(sum ta.key ta.pub)
run keygen --name Other --out ta --no-passphrase
expect_status 4
expect_stderr "already exists"
if [ "$(sum ta.key ta.pub)" = "$before" ]; then ok; else fail "existing files changed"; fi
expect_no_stray "$T"

case_ "keygen --force replaces"
run keygen --name Other --out ta --no-passphrase --force
expect_status 0
if [ "$(sum ta.key ta.pub)" != "$before" ]; then ok; else fail "--force did not replace"; fi
run key show ta.key --json
expect_status 0
expect_stdout '"name":"Other"'

case_ "keygen without a terminal and without a passphrase option"
setsid -w "$CUSTOS" keygen --name X --out nt >"$OUT" 2>"$ERR" </dev/null; STATUS=$?
expect_status 3
expect_stderr "--no-passphrase"
expect_no_file nt.key; expect_no_file nt.pub

case_ "keygen refuses bad input, writing nothing"
run keygen --name X --country XX --out bad --no-passphrase
expect_status 2
expect_stderr "ISO 3166-1"
run keygen --name X --out bad --no-passphrase --passphrase-file pw
expect_status 2
run keygen --name X --out bad --no-passphrase --expires 2030-02-30
expect_status 2
expect_stderr "is not a date"
printf '\n' > emptypw
run keygen --name X --out bad --passphrase-file emptypw
expect_status 2
expect_stderr "empty"
expect_no_file bad.key; expect_no_file bad.pub

case_ "missing key file"
run key show nothing.pub
expect_status 4

case_ "example key: export refused without --allow-example-keys, warned with it"
run key export-age "$EXAMPLES/prosecutor.key"
expect_status 3
expect_stderr "is a public example key"
expect_stderr "--allow-example-keys"
if [ -s "$OUT" ]; then fail "exported an example key"; else ok; fi
run key export-age "$EXAMPLES/prosecutor.key" --allow-example-keys
expect_status 0
expect_stderr "custos: warning: using example key"
expect_stdout "AGE-SECRET-KEY-1"
run key show "$EXAMPLES/prosecutor.pub"
expect_status 0
expect_stderr "custos: warning:"

case_ "keygen whose .pub cannot be written leaves no .key behind"
mkdir -p half.pub/occupied
run keygen --name "Half" --country SI --out half --no-passphrase --force
expect_status 4
expect_no_file half.key
expect_no_stray "$T"

case_ "a .pub or .key one byte over 64 KiB is refused before it is parsed"
head -c 65537 /dev/zero >big.pub; head -c 65537 /dev/zero >big.key
run key show big.pub
expect_status 1; expect_stderr "big.pub: file is larger than the limit of 65536 bytes"
run key show big.key
expect_status 3; expect_stderr "big.key: file is larger than the limit of 65536 bytes; not a custos secret key"
run trust add big.pub
expect_status 1; expect_stderr "big.pub: file is larger than the limit of 65536 bytes"

case_ "age interoperability: export-age keys work with the age binary"
if ! command -v age >/dev/null; then
  echo "age is not installed (scripts/setup installs it): interop case skipped"
  [ "$FAILS" -eq 0 ] && exit 77
  finish
fi
run keygen --name "Age Interop" --out ai --passphrase-file pw
expect_status 0
run key export-age ai.pub
expect_status 0
recipient=$(cat "$OUT")
run key export-age ai.key --passphrase-file pw
expect_status 0
cp "$OUT" ai.agekey
head -c 100000 /dev/urandom > plain.bin
if age -r "$recipient" -o plain.age plain.bin && age -d -i ai.agekey -o back.bin plain.age \
   && cmp -s plain.bin back.bin; then ok; else fail "age round trip failed"; fi
# age-keygen agrees on the public key of the exported identity.
if command -v age-keygen >/dev/null; then
  if [ "$(age-keygen -y ai.agekey)" = "$recipient" ]; then ok; else fail "age-keygen -y disagrees"; fi
fi

case_ "test hooks: a warning exactly when the library obeys them"
PUB="$EXAMPLES/nl-central-authority.pub"
CUSTOS_TEST_FAST_KDF=1 run key fingerprint "$PUB"
expect_status 0; expect_stderr "custos: warning: CUSTOS_TEST_FAST_KDF is set: new key files get the minimum Argon2id cost"
CUSTOS_TEST_FAST_KDF=0 run key fingerprint "$PUB"
expect_status 0
if grep -q "CUSTOS_TEST_FAST_KDF" "$ERR"; then fail "warned about CUSTOS_TEST_FAST_KDF=0, which the library ignores"; else ok; fi
CUSTOS_FIXED_TIME=1790000000 run key fingerprint "$PUB"
expect_status 0; expect_stderr "custos: warning: CUSTOS_FIXED_TIME is set: every time custos signs is fixed at 1790000000"
CUSTOS_FIXED_TIME=yesterday run key fingerprint "$PUB"
expect_status 0
if grep -q "CUSTOS_FIXED_TIME" "$ERR"; then fail "warned about CUSTOS_FIXED_TIME=yesterday, which the library ignores"; else ok; fi

finish
