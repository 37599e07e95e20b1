#!/usr/bin/env bash
# Memory grows with the file count by at most 512 bytes a file (performance
# issue, item 3: the signed manifest is held whole, nothing else per file).
# Seals, verifies and opens one 48 MiB file of random bytes and then 20,000
# one-byte files; each command's peak RSS with 20,000 files may exceed its
# peak with the one file by at most 20,000 x 512 bytes. The one file is large
# enough to fill every stage's buffers (read-ahead, compression jobs, batches),
# which do not depend on the file count, so the difference is what the count
# costs; --threads 1 makes the stages the same on any machine. With threads
# the one file is read ahead with O_DIRECT buffers the small files never use,
# so there only the issue's cap is checked: 64 MiB + 512 bytes a file.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/roundtrip_lib.sh"
cd "$T" || exit 1

if [ ! -x /usr/bin/time ]; then
  echo "SKIP: /usr/bin/time is missing (package time; scripts/setup installs it)"
  exit 77
fi

FILES=20000
mkdir one many
head -c 48M /dev/urandom >one/f
python3 - many "$FILES" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "d%03d" % (i // 200))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d" % i), "w") as f:
        f.write("x")
PY

# peak NAME CMD...: runs a custos command under /usr/bin/time; sets PEAK (KiB).
peak() {
  local name=$1; shift
  /usr/bin/time -f %M -o "$name.rss" "$CUSTOS" "$@" >"$OUT" 2>"$ERR"; STATUS=$?
  PEAK=$(tail -1 "$name.rss")
}

for threads in 1 2; do
  declare -A kb=()
  for set in one many; do
    case_ "memory per file, --threads $threads: seal $set"
    peak "seal-$set" seal -q -k "$SI_KEY" -r "$NL_PUB" --recipient-fingerprint "$NL_FP" \
      --allow-example-keys -o "$set.custos" --case "$CASE_REF" --threads "$threads" --force "$set"
    expect_status 0
    kb[seal-$set]=$PEAK
    case_ "memory per file, --threads $threads: verify $set"
    peak "verify-$set" verify -q "$set.custos" -k "$NL_KEY" --from "$SI_PUB" --allow-example-keys \
      --threads "$threads"
    expect_status 0
    kb[verify-$set]=$PEAK
    case_ "memory per file, --threads $threads: open $set"
    rm -rf "$set.out"
    peak "open-$set" open -q "$set.custos" -k "$NL_KEY" --from "$SI_PUB" --allow-example-keys \
      --acknowledge -o "$set.out" --threads "$threads"
    expect_status 0
    kb[open-$set]=$PEAK
  done
  if [ "$(find many.out/data/many -type f | wc -l)" = "$FILES" ]; then ok
  else fail "many.out holds $(find many.out/data/many -type f | wc -l) files, not $FILES"; fi
  for op in seal verify open; do
    per_file=$(( (${kb[$op-many]} - ${kb[$op-one]}) * 1024 / FILES ))
    echo "--threads $threads $op: peak RSS ${kb[$op-one]} KiB with one 48 MiB file, ${kb[$op-many]} KiB with $FILES: $per_file bytes a file"
    case_ "memory per file, --threads $threads: $op stays under 64 MiB + 512 bytes a file"
    cap=$(( 65536 + FILES * 512 / 1024 ))
    if [ "${kb[$op-many]}" -le "$cap" ]; then ok
    else fail "$op: peak RSS ${kb[$op-many]} KiB with $FILES files, over $cap KiB"; fi
    [ "$threads" = 1 ] || continue
    case_ "memory per file, --threads 1: $op grows by at most 512 bytes a file"
    if [ "$per_file" -le 512 ]; then ok
    else fail "$op: ${kb[$op-one]} KiB with one 48 MiB file, ${kb[$op-many]} KiB with $FILES: $per_file bytes a file"; fi
  done
  rm -rf one.out many.out
  unset kb
done

finish
