#!/usr/bin/env bash
# End-to-end: custos trust add|list|remove, and the ways a trust store or a
# .pub offered to it can be bad: exit code, error sentence, nothing written.
. "$(dirname "$0")/lib.sh"
export CUSTOS_TEST_FAST_KDF=1   # minimum Argon2id limits: tests only
cd "$T" || exit 1
TD="$T/trust"
count() { find "$TD" -name '*.pub' 2>/dev/null | wc -l; }

"$CUSTOS" keygen --name "Alpha Authority" --country NL --out alpha --no-passphrase >/dev/null 2>&1
"$CUSTOS" keygen --name "Beta Lab" --country SI --out beta --no-passphrase >/dev/null 2>&1
FPA=$("$CUSTOS" key fingerprint alpha.pub)
FPB=$("$CUSTOS" key fingerprint beta.pub)

case_ "trust add shows fingerprint and identity"
run trust add alpha.pub --trust-dir "$TD"
expect_status 0
expect_stdout "Alpha Authority"
expect_stdout "$FPA"
expect_file "$TD/$(echo "$FPA" | tr -d ' ').pub"
if [ "$(stat -c %a "$TD")" = 700 ]; then ok; else fail "trust dir mode $(stat -c %a "$TD")"; fi

case_ "trust list, text and JSON"
run trust add beta.pub --trust-dir "$TD"
expect_status 0
run trust list --trust-dir "$TD"
expect_status 0
expect_stdout "$FPA  Alpha Authority (NL)"
expect_stdout "$FPB  Beta Lab (SI)"
run trust list --json --trust-dir "$TD"
expect_status 0
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); \
  assert sorted(i["identity"]["name"] for i in d["identities"])==["Alpha Authority","Beta Lab"]' "$OUT"
then ok; else fail "trust list --json wrong"; fi

case_ "a .pub with an altered identity is refused"
python3 - beta.pub evil.pub <<'PY'
import base64, sys
lines = open(sys.argv[1]).read().split("\n")
i = next(k for k, l in enumerate(lines) if l.startswith("-----BEGIN"))
j = next(k for k, l in enumerate(lines) if l.startswith("-----END"))
b = bytearray(base64.b64decode("".join(lines[i + 1:j])))
k = b.find(b"Beta Lab"); b[k:k + 4] = b"Evil"
enc = base64.b64encode(bytes(b)).decode()
open(sys.argv[2], "w").write("\n".join(lines[:i + 1] + [enc[n:n + 64] for n in range(0, len(enc), 64)] + lines[j:]))
PY
before=$(count)
run trust add evil.pub --trust-dir "$TD"
expect_status 1
expect_stderr "self-signature invalid"
if [ "$(count)" -eq "$before" ]; then ok; else fail "something was added"; fi

case_ "all or nothing: one bad file, nothing added"
"$CUSTOS" keygen --name "Gamma" --out gamma --no-passphrase >/dev/null 2>&1
run trust add gamma.pub evil.pub --trust-dir "$TD"
expect_status 1
if [ "$(count)" -eq "$before" ]; then ok; else fail "gamma was added"; fi

case_ "example key refused without --allow-example-keys"
run trust add "$EXAMPLES/nl-central-authority.pub" --trust-dir "$TD"
expect_status 3
expect_stderr "is a public example key"
expect_stderr "--allow-example-keys"
if [ "$(count)" -eq "$before" ]; then ok; else fail "example key added"; fi

case_ "example key trusted with --allow-example-keys, with a warning"
run trust add "$EXAMPLES/nl-central-authority.pub" --trust-dir "$TD" --allow-example-keys
expect_status 0
expect_stderr "custos: warning: using example key"
expect_stderr "never use it for real evidence"
run trust list --trust-dir "$TD"
expect_stdout "PUBLIC EXAMPLE KEY"

case_ "trust store writable by group is refused"
chmod 770 "$TD"
run trust list --trust-dir "$TD"
expect_status 4
expect_stderr "writable by group or others"
run trust add gamma.pub --trust-dir "$TD"
expect_status 4
if [ "$(count)" -eq "$((before + 1))" ]; then ok; else fail "added to an unsafe store"; fi
chmod 700 "$TD"

case_ "a tampered file inside the store is reported, naming it"
cp "$TD/$(echo "$FPB" | tr -d ' ').pub" saved.pub
cp evil.pub "$TD/$(echo "$FPB" | tr -d ' ').pub"
run trust list --trust-dir "$TD"
expect_status 1
expect_stderr "$(echo "$FPB" | tr -d ' ').pub"
cp saved.pub "$TD/$(echo "$FPB" | tr -d ' ').pub"

case_ "trust remove, with and without spaces"
run trust remove "$FPA" --trust-dir "$TD"
expect_status 0
expect_stdout "Alpha Authority"
expect_no_file "$TD/$(echo "$FPA" | tr -d ' ').pub"
run trust remove "$(echo "$FPB" | tr -d ' ')" --trust-dir "$TD"
expect_status 0
run trust remove "$FPA" --trust-dir "$TD"
expect_status 4
expect_stderr "no trusted identity has fingerprint"
run trust remove "not-a-fingerprint" --trust-dir "$TD"
expect_status 2
expect_stderr "is not a custos fingerprint"

case_ "default trust dir is \$CUSTOS_HOME/trust"
run trust add alpha.pub
expect_status 0
expect_file "$CUSTOS_HOME/trust/$(echo "$FPA" | tr -d ' ').pub"
run trust list
expect_stdout "Alpha Authority"

finish
