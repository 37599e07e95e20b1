# tests/cli/roundtrip_lib.sh — what the round-trip and bag tests share (sourced
# after lib.sh): the example keys (Slovenia seals for the Netherlands; the
# prosecutor key stands in for Eurojust as a second recipient), seal/open
# wrappers, and tree comparisons.
SI_KEY="$EXAMPLES/si-central-authority.key"
SI_PUB="$EXAMPLES/si-central-authority.pub"
NL_KEY="$EXAMPLES/nl-central-authority.key"
NL_PUB="$EXAMPLES/nl-central-authority.pub"
EJ_KEY="$EXAMPLES/prosecutor.key"
EJ_PUB="$EXAMPLES/prosecutor.pub"
SI_FP=$("$CUSTOS" key fingerprint "$SI_PUB")
NL_FP=$("$CUSTOS" key fingerprint "$NL_PUB")
EJ_FP=$("$CUSTOS" key fingerprint "$EJ_PUB")
CASE_REF="KT-77/2026 (Ljubljana)"
VALIDATE="$CUSTOS_SOURCE_DIR/tests/cli/bagit_validate.py"

# seal_nl OUT INPUT... [options]: SI seals INPUT for NL (fingerprint confirmed).
seal_nl() {
  local out=$1; shift
  run seal -q -k "$SI_KEY" -r "$NL_PUB" --recipient-fingerprint "$NL_FP" \
    --allow-example-keys -o "$out" --case "$CASE_REF" "$@"
}
# open_with KEY BUNDLE OUTDIR [options]: opens with --from SI and --acknowledge.
open_with() {
  local key=$1 bundle=$2 outdir=$3; shift 3
  run open -q "$bundle" -k "$key" --from "$SI_PUB" --allow-example-keys --acknowledge \
    -o "$outdir" "$@"
}
# tree_listing DIR: every entry's type and path, then every file's SHA-256;
# equal listings mean equal names, structure and contents.
tree_listing() {
  (cd "$1" && find . -mindepth 1 -printf '%y %p\n' | LC_ALL=C sort &&
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
}
# expect_same_tree IN OUT: IN (what was sealed) and OUT (what was opened) agree.
expect_same_tree() {
  if [ "$(tree_listing "$1")" = "$(tree_listing "$2")" ]; then ok; else
    fail "opened tree differs from $1: $(diff <(tree_listing "$1") <(tree_listing "$2") | head -5)"
  fi
}
# expect_valid_bag DIR: the strict RFC 8493 validator accepts DIR.
expect_valid_bag() {
  if python3 "$VALIDATE" "$1" >/dev/null 2>"$T/.bagit"; then ok; else
    fail "not a valid bag: $(head -3 "$T/.bagit")"
  fi
}
# expect_json EXPR [ARG...]: stdout is exactly one JSON object `d` (json.load
# refuses anything after it) for which the python expression EXPR holds; the
# ARGs are sys.argv[2:].
expect_json() {
  if python3 -c 'import json,sys; d=json.load(sys.stdin); assert isinstance(d, dict)
assert eval("(" + sys.argv[1] + ")"), sys.argv[1]' "$@" <"$OUT" 2>"$T/.json"; then ok
  else fail "JSON: $(tail -1 "$T/.json")"; fi
}
