#!/usr/bin/env bash
# REPS=auto in scripts/sweep.sh, without root and without measuring (seconds):
#   1. DRY_RUN=1 REPS=auto prints the plan: the rounds, the criterion, the
#      runs and time as min..max, and the points;
#   2. a sweep with a stand-in run-point (RUN_POINT) that writes synthetic
#      rows: a group whose ratio is clear stops after REPS_MIN rounds, a noisy
#      one runs to REPS_MAX; rounds stay interleaved (every open point once
#      per round); the open-loop points run REPS_MIN times at a fraction of
#      each server's peak (the median of its closed-loop base point).
# Needs bin/httpd-epoll and bin/httpd-uring to exist (the sweep checks its
# servers are built); nothing is started.
set -u
cd "$(dirname "$0")/../.." || exit 1
skip() { echo "SKIP: $*"; exit 77; }
[ -x bin/httpd-epoll ] && [ -x bin/httpd-uring ] || skip "bin/httpd-epoll and bin/httpd-uring are not built (make)"
tmp=$(mktemp -d /tmp/bb-test-reps-auto.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

passed=0 failed=0
check() { # name command...
	local name=$1
	shift
	if "$@"; then echo "ok - $name"; passed=$((passed + 1)); else echo "not ok - $name"; failed=$((failed + 1)); fi
}
mkdir -p "$tmp/pages/corpus"
# The stand-in: one row per call. connections=100: uring is 2x epoll with 1%
# noise (clear); connections=10: uring/epoll swings 0.8..1.25 (never clear).
cat >"$tmp/run-point" <<'EOF'
#!/usr/bin/env bash
while [ $# -gt 0 ]; do
	case $1 in
	--server) s=$2 ;; --workers) w=$2 ;; --mode) m=$2 ;; --concurrency) c=$2 ;; --rate) r=$2 ;;
	--pageset) ps=$2 ;; --mtu) mtu=$2 ;; --rep) rep=$2 ;; --csv) csv=$2 ;; --tag) tags="${tags:+$tags;}$2" ;;
	esac
	shift 2
done
[ "$r" = 0 ] && r=""
base=10000; [ "$s" = uring ] && base=20000
n=(1.00 1.01 0.99 1.00 1.01 0.99 1.00 1.01 0.99)
swing=(1.25 0.80 1.20 0.85 1.25 0.80 1.20 0.85)
f=${n[$rep]}
[ "$c" = 10 ] && [ "$s" = uring ] && f=$(awk -v x="${swing[$rep]}" 'BEGIN { print x / 2 }')
rps=$(awk -v b="$base" -v f="$f" 'BEGIN { printf "%.0f", b * f }')
[ -n "$r" ] && rps=$r
[ -s "$csv" ] || echo "timestamp,server,workers,mode,connections,target_rate,page_set,mtu,req_per_s,lat_p99_us,client_bound,repeat,labels,status" >"$csv"
echo "t,httpd-$s,$w,$m,$c,$r,$ps,$mtu,$rps,1000,0,$rep,$tags,ok" >>"$csv"
EOF
chmod +x "$tmp/run-point"
export PAGES_DIR=$tmp/pages LOADGEN=/bin/true SERVERS=epoll,uring SWEEP=concurrency,latency \
	CONCURRENCIES="10 100" LOAD_FRACTIONS=0.5 PAGESETS=corpus MAX_CORES=1 DURATION=1 WARMUP=0 NO_PLOTS=1 \
	REPS=auto REPS_MIN=3 REPS_MAX=5 SLO= # no SLO search: this test counts the fixed points

# --- 1. the plan ----------------------------------------------------------------
DRY_RUN=1 OUT=$tmp/dry.csv scripts/sweep.sh >"$tmp/dry.out" 2>&1
rc=$?
sed 's/^/  | /' "$tmp/dry.out"
check "dry run exits 0 (no root needed)" [ "$rc" = 0 ]
# 4 closed-loop points x 3..5 rounds + 2 open-loop points x 3 = 18..26 runs, 3.5 s each.
check "plan: rounds, runs min..max, time min..max" \
	grep -q "REPS=auto: 3 to 5 rounds of the 4 closed-loop points, 3 of the 2 open-loop ones = 18..26 runs of 0+1 s; estimated [0-9ms]*\.\.[0-9ms]*$" "$tmp/dry.out"
check "plan: the criterion" grep -q "excludes 1.0 or is within +-5%" "$tmp/dry.out"
check "plan: the points" [ "$(grep -c '^\(epoll\|uring\) 1 keepalive ' "$tmp/dry.out")" = 6 ]
check "dry run writes nothing" [ ! -e "$tmp/dry.csv" ]

# --- 2. the rounds ----------------------------------------------------------------
OUT=$tmp/s.csv RUN_POINT=$tmp/run-point scripts/sweep.sh >"$tmp/sweep.out" 2>&1
rc=$?
sed 's/^/  | /' "$tmp/sweep.out" | grep -v '^  | sweep: \[' | tail -n 30
check "sweep exits 0" [ "$rc" = 0 ]
check "clear group: closed-loop runs at 100 connections: 3 per server" \
	[ "$(awk -F, 'NR > 1 && $5 == 100 && $6 == ""' "$tmp/s.csv" | wc -l)" = 6 ]
check "noisy group (10 connections): REPS_MAX=5 rounds per server" \
	[ "$(awk -F, 'NR > 1 && $5 == 10' "$tmp/s.csv" | wc -l)" = 10 ]
check "interleaved: repetitions never go back (closed loop)" \
	bash -c 'awk -F, "NR > 1 && \$6 == \"\" { if (\$12 < last) exit 1; last = \$12 }" "$1"' sh "$tmp/s.csv"
check "open loop: 3 runs per server at half its peak" \
	[ "$(awk -F, 'NR > 1 && $6 != "" { print $2, $6 }' "$tmp/s.csv" | sort | uniq -c | awk '{ print $1, $2, $3 }' | tr '\n' ' ')" = "3 httpd-epoll 5000 3 httpd-uring 10000 " ]
check "progress says the round and the cap" grep -q 'rep 4/<=5' "$tmp/sweep.out"
check "logs what keeps a group open" grep -q "still open: w=1 keepalive c=10 corpus mtu=1500 (uring vs epoll: .* holds 1" "$tmp/sweep.out"
check "logs the cap" grep -q "after round 5: 2 of 4 closed-loop points still open (REPS_MAX=5 reached" "$tmp/sweep.out"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
