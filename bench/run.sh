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
