#!/usr/bin/env bash
# The progress bar of seal, verify and open: drawn on stderr when stderr is a
# terminal (percentage, MiB done, rate, ETA, the current file) and cleared when
# done; nothing when stderr is not a terminal, and nothing with --quiet or
# --json. The terminal is a pseudo-terminal from script(1); without script the
# file reports itself skipped.
. "$(dirname "$0")/lib.sh"
command -v script >/dev/null || { echo "SKIP: script(1) is missing (needed for a terminal)"; exit 77; }
cd "$T" || exit 1
SI="$EXAMPLES/si-central-authority"; NL="$EXAMPLES/nl-central-authority"
NL_FP=$("$CUSTOS" key fingerprint "$NL.pub")
mkdir -p ev/sub
head -c 3000000 /dev/urandom >ev/image.dd
# A long non-ASCII name: the bar shows its end, cut at a character boundary.
LONG="ev/sub/$(printf 'é%.0s' $(seq 30))-witness.txt"
echo "statement" >"$LONG"
SEAL=(seal -k "$SI.key" -r "$NL.pub" --recipient-fingerprint "$NL_FP" --allow-example-keys --case K-1)
READ=(-k "$NL.key" --from "$SI.pub" --allow-example-keys)

# on_tty FILE ARGS...: custos ARGS with stdin, stdout and stderr on a
# pseudo-terminal; what the terminal received goes to FILE.
on_tty() {
  local f=$1; shift
  script -qec "$(printf '%q ' "$CUSTOS" "$@")" /dev/null >"$f" </dev/null
  STATUS=$?
}
# drawn FILE NAME: the bar was drawn with its fields and NAME, then cleared.
drawn() {
  if grep -aq '100.0%' "$1" && grep -aq 'MiB/s' "$1" && grep -aq 'ETA' "$1"; then ok
  else fail "no progress bar on the terminal: $(head -c 300 "$1" | cat -v)"; fi
  if grep -aqF "$2" "$1"; then ok; else fail "the bar does not name $2"; fi
  if grep -aq $'\r\033\[K' "$1"; then ok; else fail "the bar is not redrawn/cleared in place"; fi
  if iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1; then ok; else fail "the terminal received invalid UTF-8"; fi
}
# silent FILE: no bar and no escape sequence at all.
silent() {
  if grep -aq 'ETA' "$1" || grep -aq $'\033' "$1"; then fail "a progress bar where none belongs: $(head -c 300 "$1" | cat -v)"
  else ok; fi
}

case_ "seal on a terminal draws the bar"
on_tty tty.seal "${SEAL[@]}" -o B.custos ev
expect_status 0
drawn tty.seal "witness.txt"

case_ "verify and open on a terminal draw the bar"
on_tty tty.verify verify B.custos "${READ[@]}"
expect_status 0
drawn tty.verify "witness.txt"
on_tty tty.open open B.custos -o opened --acknowledge "${READ[@]}"
expect_status 0
drawn tty.open "witness.txt"
if cmp -s ev/image.dd opened/data/ev/image.dd; then ok; else fail "opened evidence differs"; fi

case_ "--quiet and --json on a terminal: no bar"
on_tty tty.q "${SEAL[@]}" -q --force -o B.custos ev
expect_status 0; silent tty.q
on_tty tty.vq verify B.custos -q "${READ[@]}"
expect_status 0; silent tty.vq
on_tty tty.vj verify B.custos --json "${READ[@]}"
expect_status 0; silent tty.vj
on_tty tty.oq open B.custos -q -o opened-q --acknowledge "${READ[@]}"
expect_status 0; silent tty.oq

case_ "stderr not a terminal: no bar"
run "${SEAL[@]}" --force -o B.custos ev
expect_status 0; silent "$ERR"
run verify B.custos "${READ[@]}"
expect_status 0; silent "$ERR"
run open B.custos -o opened-2 --acknowledge "${READ[@]}"
expect_status 0; silent "$ERR"

finish
