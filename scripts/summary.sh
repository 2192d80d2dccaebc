#!/usr/bin/env bash
# The headline numbers of a sweep in plain sentences, from the CSV alone.
#
#   scripts/summary.sh [CSV...]       (default: the newest results/sweep-*.csv)
#
# Every figure is a median over the ok runs of a point. A ratio "A vs B" is
# the median of the paired ratios (A's run of repetition k over B's run of
# repetition k, both ok) with a 95% bootstrap interval; "inconclusive" when
# the interval holds 1.0 (docs/statistics.md). A comparison involving a
# client-bound point says so: there the number is the load generator's
# limit, not the server's. Failed and stalled runs (the CSV's and its
# -failures.csv) are never quoted: they are listed at the end, with why.
# The sentences: scripts/lib/summary.awk.
set -u
BB_PROG=summary
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$BB_ROOT/scripts/lib/columns.sh"

csvs=("$@")
if [ ${#csvs[@]} -eq 0 ]; then
	latest=$(ls -t "$BB_ROOT"/results/sweep-*.csv 2>/dev/null | grep -v -- '-failures.csv$' | head -n 1)
	[ -n "$latest" ] || bb_die "no CSV given and none in results/ (make sweep, or CSV=path)"
	csvs=("$latest")
fi
for c in "${csvs[@]}"; do [ -s "$c" ] || bb_die "no such CSV or empty: $c"; done

names() { local s out=""; for s in $1; do out+="$s=$(display_name "$s") "; done; echo "$out"; }

# Each CSV, then the failures file beside it (runs that left no row).
files=()
for c in "${csvs[@]}"; do
	files+=("$c")
	[ -s "${c%.csv}-failures.csv" ] && files+=("${c%.csv}-failures.csv")
done
echo "--- Summary of ${csvs[*]} ---"
awk -f "$BB_ROOT/scripts/lib/csv.awk" -f "$BB_ROOT/scripts/lib/bootstrap.awk" -f "$BB_ROOT/scripts/lib/runs.awk" \
	-f "$BB_ROOT/scripts/lib/summary.awk" -v names="$(names "epoll tpc uring xdp nginx lighttpd epoll-busy uring-busy xdp-busy")" "${files[@]}"
