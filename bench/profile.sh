#!/usr/bin/env bash
# bench/profile.sh — where custos seal/verify/open spend their time.
#
#   bench/profile.sh [SIZE_MIB]      (default 256; build with scripts/bench first)
#
# Makes SIZE_MIB of random and of text data under ${BUILD_DIR:-build-bench}/perfdata
# (warm cache: this is about CPU, not the disk), then for each operation prints
# `perf stat` (task-clock = CPU seconds, "CPUs utilized" = parallelism) and the
# top functions by samples from `perf record -e cpu-clock` (VMs often have no
# hardware counters). Falls back to valgrind --tool=callgrind when perf is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-bench}
mib=${1:-256}
custos="$PWD/$build/cli/custos"
work="$PWD/$build/perfdata"
k=keys/examples
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/random" "$work/text"
export CUSTOS_HOME="$work/home"
PYTHONDONTWRITEBYTECODE=1 python3 - "$work" "$mib" <<'EOF'
import sys, os
sys.path.insert(0, "bench")
import datasets
w, size = sys.argv[1], int(sys.argv[2]) << 20
datasets.gen_random(os.path.join(w, "random", "data.bin"), size)
datasets.gen_text(os.path.join(w, "text", "syslog.log"), size)
EOF
fp=$("$custos" key fingerprint $k/nl-central-authority.pub)
seal=("$custos" seal -q -k $k/si-central-authority.key -r $k/nl-central-authority.pub
      --recipient-fingerprint "$fp" --allow-example-keys --case P --force)
recv=(-q -k $k/nl-central-authority.key --from $k/si-central-authority.pub --allow-example-keys)

profile() {  # name, command...
  local name=$1; shift
  echo "=== $name"
  if command -v perf >/dev/null; then
    perf stat -e task-clock,context-switches,cpu-migrations,page-faults -- "$@" 2>&1 >/dev/null |
      grep -E "task-clock|context|elapsed|user|sys" || true
    perf record -q -e cpu-clock -F 999 -o "$work/perf.data" -- "$@" >/dev/null 2>"$work/err" || { echo "failed:"; tail -3 "$work/err"; }
    # By library first (libcrypto/libzstd ship without symbols), then by function.
    perf report -i "$work/perf.data" --no-children --sort dso --stdio 2>/dev/null |
      grep -E '^ +[0-9]' | head -8 || true
    perf report -i "$work/perf.data" --no-children --sort symbol --stdio 2>/dev/null |
      grep -E '^ +[0-9]' | grep -v ' 0x0000' | head -12 || true
  else
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$@" >/dev/null 2>&1
    callgrind_annotate "$work/cg.out" 2>/dev/null | sed -n '1,40p' | grep -E '^ *[0-9,]+ ' | head -15
  fi
}

for set in random text; do
  cat "$work/$set"/* > /dev/null
  profile "seal $set" "${seal[@]}" -o "$work/$set.custos" "$work/$set"
  profile "verify $set" "$custos" verify "$work/$set.custos" "${recv[@]}"
  # open needs a fresh output directory for each of the two runs.
  profile "open $set" bash -c 'rm -rf "$1"; shift; exec "$@"' _ "$work/$set.opened" \
    "$custos" open "$work/$set.custos" "${recv[@]}" --acknowledge -o "$work/$set.opened"
done
