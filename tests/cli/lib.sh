# tests/cli/lib.sh — helpers for end-to-end tests that run the custos binary as
# a user does: a command, its exit code, its stderr, and the files it leaves.
set -u
: "${CUSTOS:?CUSTOS must name the custos binary}"
: "${CUSTOS_SOURCE_DIR:?}"
EXAMPLES="$CUSTOS_SOURCE_DIR/keys/examples"
mkdir -p "${CUSTOS_TEST_TMP:-/tmp}"
T=$(mktemp -d "${CUSTOS_TEST_TMP:-/tmp}/custos-cli.XXXXXX")
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
export CUSTOS_HOME="$T/home"
mkdir -p "$CUSTOS_HOME"; chmod 700 "$CUSTOS_HOME"
FAILS=0
PASSES=0
OUT="$T/.stdout"
ERR="$T/.stderr"

# run CMD...: runs custos with arguments, capturing stdout/stderr and status.
run() {
  "$CUSTOS" "$@" >"$OUT" 2>"$ERR" </dev/null
  STATUS=$?
}
# run_in INPUT CMD...: same with stdin from a file.
run_in() {
  local input=$1; shift
  "$CUSTOS" "$@" >"$OUT" 2>"$ERR" <"$input"
  STATUS=$?
}
fail() {
  echo "FAIL [$CASE]: $*" >&2
  echo "  stdout: $(head -c 2000 "$OUT" 2>/dev/null)" >&2
  echo "  stderr: $(head -c 2000 "$ERR" 2>/dev/null)" >&2
  FAILS=$((FAILS + 1))
}
ok() { PASSES=$((PASSES + 1)); }
case_() { CASE=$1; }
expect_status() {
  if [ "$STATUS" -ne "$1" ]; then fail "exit $STATUS, expected $1"; else ok; fi
}
expect_stderr() {
  if grep -qF -- "$1" "$ERR"; then ok; else fail "stderr lacks: $1"; fi
}
expect_stdout() {
  if grep -qF -- "$1" "$OUT"; then ok; else fail "stdout lacks: $1"; fi
}
expect_no_file() {
  if [ -e "$1" ]; then fail "$1 exists but should not"; else ok; fi
}
expect_file() {
  if [ -e "$1" ]; then ok; else fail "$1 is missing"; fi
}
# expect_no_stray DIR: nothing but what the test put there (no temp or partial files).
expect_no_stray() {
  local stray
  stray=$(find "$1" -name '.*tmp-*' -o -name '.*custos-partial*' 2>/dev/null | head -5)
  if [ -n "$stray" ]; then fail "stray temporary files: $stray"; else ok; fi
}
# expect_open_fails BUNDLE STATUS MESSAGE open-args...: open refuses BUNDLE with
# STATUS and MESSAGE and writes nothing at all (no OUTDIR, no stray file, no
# file newer than the attempt).
expect_open_fails() {
  local bundle=$1 status=$2 msg=$3; shift 3
  rm -f "$T/.marker"; touch "$T/.marker"; sleep 0.01
  run open "$bundle" -o "$T/out" --acknowledge --allow-example-keys "$@"
  expect_status "$status"; expect_stderr "$msg"
  expect_no_file "$T/out"
  expect_no_stray "$T"
  local new
  new=$(find "$T" -newer "$T/.marker" ! -path "$T" ! -name .stdout ! -name .stderr 2>/dev/null | head -5)
  if [ -n "$new" ]; then fail "open wrote: $new"; else ok; fi
}
finish() {
  echo "$PASSES passed, $FAILS failed"
  [ "$FAILS" -eq 0 ]
  exit $?
}
