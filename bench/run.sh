#!/usr/bin/env bash
# Speed and memory of the main job on a large synthetic extract.
# Usage: bash bench/run.sh [AUTHORITIES]   (default 100: ~100x the sample)
#        PROFILE=dev bash bench/run.sh       (reuse the test build: quicker to
#                                             build, slower to run)
# Prints wall time and peak memory (max RSS) per stage; results are for the
# machine it runs on, so compare runs on the same machine only.
set -euo pipefail
cd "$(dirname "$0")/.."
authorities="${1:-100}"
out="bench/out"
rm -rf "$out" && mkdir -p "$out"
export CME_PSEUDONYM_KEY="bench-key-not-secret-0000000000"
profile="${PROFILE:-release}"
cargo build --profile "$profile" --quiet --bin cme
dir="$profile"; [ "$profile" = dev ] && dir=debug
bin="${CARGO_TARGET_DIR:-target}/$dir/cme"
echo "profile: $profile"

measure() {
  local name="$1"; shift
  /usr/bin/time -f "%e %M" -o "$out/$name.time" "$@" > "$out/$name.log" 2>&1
  read -r secs kb < "$out/$name.time"
  printf '%-10s %8.2f s  %8.1f MiB\n' "$name" "$secs" "$(echo "$kb/1024" | bc -l)"
}

"$bin" synth --authorities "$authorities" --output "$out/extract.csv" > /dev/null
rows=$(($(wc -l < "$out/extract.csv") - 1))
echo "extract: $rows episodes ($authorities x the sample), $(du -h "$out/extract.csv" | cut -f1)"
wh=(--warehouse "$out/warehouse")
measure ingest "$bin" ingest "${wh[@]}" --input "$out/extract.csv" --extract-date 2018-07-02
measure transform "$bin" transform "${wh[@]}" --period 2018-06
measure publish "$bin" publish "${wh[@]}" --period 2018-06

# `cme sql`: start to first result for a simple query on the bundled sample
# (goal: under 100 ms). Each run is a new process: it reads current.json and
# the manifest, registers the tables and answers. Median of 20 runs.
sample_wh=(--warehouse "$out/sample-warehouse")
"$bin" run "${sample_wh[@]}" --period 2018-06 --input data/sample/cme-extract-sample.csv \
  --extract-date 2018-07-02 > "$out/sample-run.log" 2>&1
query="SELECT quarter_value FROM performance_summary WHERE indicator_id = '1a' AND category = 'All'"
times=()
for _ in $(seq 20); do
  start=$(date +%s%N)
  "$bin" sql "${sample_wh[@]}" --format csv "$query" > "$out/sql.out"
  times+=($(( ($(date +%s%N) - start) / 1000000 )))
done
grep -qx 188 "$out/sql.out" || { echo "cme sql gave $(cat "$out/sql.out")"; exit 1; }
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 10p)
printf '%-10s %8s ms (median of 20; min %s, max %s)\n' "sql first" "$median" \
  "$(printf '%s\n' "${times[@]}" | sort -n | head -1)" "$(printf '%s\n' "${times[@]}" | sort -n | tail -1)"
