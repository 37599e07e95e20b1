#!/usr/bin/env bash
# custos receipt verify|show, as a sender meets it (docs/FORMAT.md "Receipts").
# Part 1 uses receipts from the fuzz corpus (signed with the NL example key,
# whose secret key is public). Part 2 seals and opens a real bundle.
. "$(dirname "$0")/lib.sh"

CORPUS="$CUSTOS_SOURCE_DIR/tests/fuzz/corpus/receipt"
NL_PUB="$EXAMPLES/nl-central-authority.pub"
SI_PUB="$EXAMPLES/si-central-authority.pub"

# flip_byte FILE OFFSET: xor one byte with 1, in place.
flip_byte() {
  local b
  b=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
  printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# ---- Part 1: receipts from the corpus -------------------------------------
case_ "corpus: valid receipt verifies"
run receipt verify "$CORPUS/valid-opened.pb" --from "$NL_PUB" --allow-example-keys
expect_status 0
expect_stdout "signature valid, signed by EXAMPLE Central Authority of the Netherlands"
expect_stdout "result:          OPENED"
expect_stdout "bundle id:       11111111111111111111111111111111"
expect_stdout "bundle:          not checked"

case_ "corpus: example receiver without --allow-example-keys"
run receipt verify "$CORPUS/valid-opened.pb" --from "$NL_PUB"
expect_status 3
expect_stderr "custos: error: EXAMPLE Central Authority of the Netherlands"
expect_stderr "is a public example key"

case_ "corpus: another receiver"
run receipt verify "$CORPUS/valid-opened.pb" --from "$SI_PUB" --allow-example-keys
expect_status 1
expect_stderr "receipt signature is invalid or not by EXAMPLE Central Authority of Slovenia"

case_ "corpus: altered receipt"
run receipt verify "$CORPUS/altered.pb" --from "$NL_PUB" --allow-example-keys
expect_status 1
expect_stderr "receipt signature is invalid"

case_ "corpus: unknown field"
run receipt verify "$CORPUS/unknown-field.pb" --from "$NL_PUB" --allow-example-keys
expect_status 1
expect_stderr "custos: error: $CORPUS/unknown-field.pb: "

case_ "corpus: negative receipt exits 1 and says why"
run receipt verify "$CORPUS/valid-negative.pb" --from "$NL_PUB" --allow-example-keys --json
expect_status 1
expect_stderr "custos: error: receiver reports verification failed: seal: entry 1 hash differs"
expect_stdout '"result":"RECEIPT_VERIFICATION_FAILED"'
expect_stdout '"signature_valid":true'

case_ "corpus: receipt of another bundle"
printf 'some other bundle' >"$T/other.custos"
run receipt verify "$CORPUS/valid-opened.pb" --from "$NL_PUB" --allow-example-keys --bundle "$T/other.custos"
expect_status 1
expect_stderr "custos: error: receipt is for another bundle: $T/other.custos has SHA-256"

case_ "corpus: missing receipt"
run receipt verify "$T/nope.pb" --from "$NL_PUB" --allow-example-keys
expect_status 4
expect_stderr "nope.pb"

case_ "corpus: show prints without checking"
run receipt show "$CORPUS/valid-opened.pb"
expect_status 0
expect_stdout "(signature NOT checked)"
expect_stderr "signature not checked"

case_ "corpus: receipt verify without --from"
run receipt verify "$CORPUS/valid-opened.pb"
expect_status 2

# ---- Part 2: through seal and open ----------------------------------------
mkdir -p "$T/evidence/photos"
printf 'exhibit one\n' >"$T/evidence/one.txt"
printf 'exhibit two\n' >"$T/evidence/photos/two.jpg"
NL_FP=$("$CUSTOS" key fingerprint "$NL_PUB")

seal_to() {  # seal_to OUT
  "$CUSTOS" seal -k "$EXAMPLES/si-central-authority.key" -r "$NL_PUB" \
    --recipient-fingerprint "$NL_FP" --allow-example-keys --case K-1 -o "$1" "$T/evidence" \
    >"$OUT" 2>"$ERR" </dev/null
}

case_ "seal"
seal_to "$T/B.custos"; STATUS=$?
expect_status 0
case_ "open writes a receipt"
run open "$T/B.custos" -k "$EXAMPLES/nl-central-authority.key" --from "$SI_PUB" \
  --allow-example-keys --acknowledge -o "$T/OUT" --receipt "$T/R.pb"
expect_status 0
expect_file "$T/R.pb"
expect_file "$T/OUT/custos/receipt.pb"
# Without a receipt every case below would fail for the same reason: stop here.
[ -f "$T/R.pb" ] || finish

case_ "valid receipt"
run receipt verify "$T/R.pb" --from "$NL_PUB" --allow-example-keys
expect_status 0
expect_stdout "result:          OPENED"
case_ "the receipt in OUTDIR verifies too"
run receipt verify "$T/OUT/custos/receipt.pb" --from "$NL_PUB" --allow-example-keys
expect_status 0

case_ "valid receipt against its bundle"
run receipt verify "$T/R.pb" --from "$NL_PUB" --allow-example-keys --bundle "$T/B.custos"
expect_status 0
expect_stdout "matches (SHA-256 and size)"
# seal recorded what it sent (in this CUSTOS_HOME): the recipient is checked.
expect_stdout "was a recipient"
case_ "without the sent record the recipient cannot be checked, and verify says so"
CUSTOS_HOME="$T/home-other" run receipt verify "$T/R.pb" --from "$NL_PUB" --allow-example-keys --bundle "$T/B.custos"
expect_status 0
expect_stderr "could not check that"

case_ "--json prints one object"
run receipt verify "$T/R.pb" --from "$NL_PUB" --allow-example-keys --bundle "$T/B.custos" --json
expect_status 0
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["signature_valid"] and d["result"]=="RECEIPT_OPENED" and d["bundle_matches"]' "$OUT"; then
  ok
else
  fail "stdout is not one ReceiptReport JSON object"
fi

case_ "altered receipt"
cp "$T/R.pb" "$T/R-altered.pb"
flip_byte "$T/R-altered.pb" 40
run receipt verify "$T/R-altered.pb" --from "$NL_PUB" --allow-example-keys
expect_status 1
expect_stderr "custos: error: $T/R-altered.pb: "

case_ "--from another identity"
run receipt verify "$T/R.pb" --from "$SI_PUB" --allow-example-keys
expect_status 1
expect_stderr "receipt signature is invalid or not by EXAMPLE Central Authority of Slovenia"

case_ "--bundle of another bundle"
seal_to "$T/B2.custos"; STATUS=$?
expect_status 0
run receipt verify "$T/R.pb" --from "$NL_PUB" --allow-example-keys --bundle "$T/B2.custos"
expect_status 1
expect_stderr "receipt is for another bundle"

case_ "example receiver without --allow-example-keys"
run receipt verify "$T/R.pb" --from "$NL_PUB"
expect_status 3
expect_stderr "is a public example key"

finish
