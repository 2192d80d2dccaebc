#!/usr/bin/env bash
# One point under `perf record -e cpu-clock -g` on the server cores, and a
# report of where the server's time goes: kernel vs user, by process, top
# symbols and call chains, plus folded stacks for a flame graph.
#
#   make profile SERVER=epoll [MODE=keepalive] [PAGESET=corpus] [CONC=100]
#                [WORKERS=1] [MTU=1500] [DURATION=5] [WARMUP=1] [OUT_DIR=results]
#
# Writes OUT_DIR/profile-SERVER-MODE.txt (the report), .folded (stacks) and
# .csv (the run's row, like any other run, measured with perf running).
set -u
BB_PROG=profile
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$BB_ROOT" || exit 1

SERVER=${SERVER:-${1:-}}
[ -n "$SERVER" ] || bb_die "SERVER is required: make profile SERVER=epoll|tpc|uring|xdp|nginx|lighttpd [MODE=keepalive|close]"
MODE=${MODE:-keepalive}
OUT_DIR=${OUT_DIR:-results}
command -v perf >/dev/null || bb_die "perf is not installed (make deps: linux-perf)"
mkdir -p "$OUT_DIR" || exit 1
base=$OUT_DIR/profile-$SERVER-$MODE
rm -f "$base.csv" "$base-failures.csv"

PROFILE_OUT=$base.txt scripts/run-point.sh --server "$SERVER" --mode "$MODE" \
	--pageset "${PAGESET:-corpus}" --concurrency "${CONC:-100}" --workers "${WORKERS:-1}" \
	--mtu "${MTU:-1500}" --duration "${DURATION:-5}" --warmup "${WARMUP:-1}" \
	--csv "$base.csv" --tag sweep=profile &
child=$!
trap 'kill -TERM $child 2>/dev/null; wait $child; exit 130' INT TERM HUP
wait "$child"
rc=$?
trap - INT TERM HUP
[ "$rc" = 0 ] || bb_die "the profiled run failed (exit $rc${rc:+, see $base-failures.csv})"
echo "profile: $base.txt"
sed -n '/^## Kernel vs user/,/^$/p' "$base.txt"
sed -n '/^## Top symbols/,/^$/p' "$base.txt" | head -n 15
sed -n '/^## Stages/,$p' "$base.txt"
