# tests/cli/bundle_lib.sh — shared setup of the bundle attack tests
# (test_bundle_corruption.sh, test_bundle_crafted.sh). Sourced after lib.sh.
# Owned by those two tests: other tests have their own helpers
# (roundtrip_lib.sh).
#
# The example keys: SI seals for NL; the prosecutor and the forensic lab are
# third parties. A co-recipient (NL) who knows the file key decrypts the
# payload with plain age and zstd, alters it with bundle_tar.py, and re-wraps
# it for NL: `wrap`. The re-wrapped bundle has no .sig beside it.
for tool in age zstd python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
cd "$T" || exit 1
PY="python3 $CUSTOS_SOURCE_DIR/tests/cli/bundle_tar.py"
SI=$EXAMPLES/si-central-authority
NL=$EXAMPLES/nl-central-authority
PR=$EXAMPLES/prosecutor
LAB=$EXAMPLES/forensic-lab
NLFP=$("$CUSTOS" key fingerprint "$NL.pub")
NL_AGE=$("$CUSTOS" key export-age "$NL.pub" --allow-example-keys 2>/dev/null)
PR_AGE=$("$CUSTOS" key export-age "$PR.pub" --allow-example-keys 2>/dev/null)
"$CUSTOS" key export-age "$NL.key" --allow-example-keys >nl.age 2>/dev/null
[ -n "$NL_AGE" ] && [ -s nl.age ] || { echo "setup: key export-age failed"; exit 1; }

# Evidence: a 300 KB random file (more than two 64 KiB STREAM chunks), a small
# file and a subdirectory.
mkdir -p ev/sub
head -c 300000 /dev/urandom >ev/big.bin
printf 'hello\n' >ev/a.txt
printf 'x\n' >ev/sub/b.txt

# seal_as SENDER OUT [extra args...]: SENDER seals ev for NL; OUT.sig beside it.
seal_as() {
  local sender=$1 out=$2; shift 2
  "$CUSTOS" seal ev -k "$sender.key" -r "$NL.pub" --recipient-fingerprint "$NLFP" -o "$out" \
    --case CASE-7 --use-limitation "case CASE-7 only" --allow-example-keys "$@" >/dev/null 2>&1 ||
    { echo "setup: seal $out failed"; exit 1; }
}
# payload BUNDLE OUT: the decrypted, decompressed tar, as NL sees it.
payload() { age -d -i nl.age "$1" | zstd -q -d >"$2"; }
# wrap TAR OUT: compresses and encrypts TAR for NL, as a co-recipient would.
wrap() { zstd -q -c "$1" | age -r "$NL_AGE" >"$2"; }
# member_off TAR SUFFIX: the data offset of the member whose name ends in SUFFIX.
member_off() { $PY members "$1" | awk -v s="$2" '{n=$5; sub("/$","",n)} n ~ s"$" {print $2; exit}'; }
# member_content TAR SUFFIX OUT
member_content() {
  python3 -c 'import tarfile,sys
t=tarfile.open(sys.argv[1])
m=[m for m in t.getmembers() if m.name.endswith(sys.argv[2])][0]
open(sys.argv[3],"wb").write(t.extractfile(m).read())' "$1" "$2" "$3"
}

# attack BUNDLE STATUS MESSAGE [args...]: `verify` and `open` as NL (--from
# SI) must both fail with STATUS and MESSAGE, and `open` must leave no OUTDIR,
# no staging directory, no temporary file and nothing else new in $T.
attack() {
  local bundle=$1 status=$2 msg=$3; shift 3
  run verify "$bundle" -k "$NL.key" --from "$SI.pub" --allow-example-keys "$@"
  expect_status "$status"; expect_stderr "$msg"
  expect_open_fails "$bundle" "$status" "$msg" -k "$NL.key" --from "$SI.pub" "$@"
}
