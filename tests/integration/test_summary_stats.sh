#!/usr/bin/env bash
# The summary's statistics on synthetic CSVs (no root, no build, a second):
#   1. a clear ratio gets a 95% interval that excludes 1.0, a noisy one is
#      "inconclusive", fewer than 3 pairs give no interval;
#   2. pairs are by repetition: a run whose partner failed is left out;
#   3. failed and stalled runs (status column or label, and the failures
#      file) are listed at the end and never enter a peak or a ratio;
#   4. an old-format CSV (status only in labels, no bound column) still works;
#   5. the same input gives the same output (fixed seed);
#   6. REPS=auto's decision (scripts/lib/reps-auto.awk) on the same data;
#   7. a point whose repetitions' load generator CPU per request is 2x apart
#      is listed as run in different states; one within 1.8x is not;
#   8. SLO searches (loadgen --search): the capacity is the median knee of a
#      server's searches, a search stopped by a client-bound step says so,
#      and the steps (failing above the knee by design) are neither runs nor
#      failures.
# Method: docs/statistics.md.
set -u
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d /tmp/bb-test-summary.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

passed=0 failed=0
check() { # name command...
	local name=$1
	shift
	if "$@"; then echo "ok - $name"; passed=$((passed + 1)); else echo "not ok - $name"; failed=$((failed + 1)); fi
}
has() { grep -qF -- "$2" "$1" || { echo "  no line with: $2"; return 1; }; }
hasnt() { ! grep -qF -- "$2" "$1" || { echo "  unexpected: $(grep -F -- "$2" "$1" | head -n 2)"; return 1; }; }
# line FILE TEXT: the one line containing TEXT
line() { grep -F -- "$2" "$1" | head -n 1; }

# --- the synthetic sweep (new format: status, failed_requests, bound columns) ---
# Cores sweep, 1 core, keep-alive and close; 5 repetitions.
#   keep-alive: uring = 2x epoll (+-2%), tpc = epoll with +-30% noise both ways
#   close: xdp vs epoll has only 2 good pairs (3 of xdp's runs failed or stalled)
#   nginx keep-alive rep 5 failed with errors at 999999 req/s: never a peak
hdr="timestamp,server,workers,mode,connections,target_rate,page_set,mtu,req_per_s,gbit_per_s,lat_p99_us,server_cpu_us_per_req,machine_cpu_us_per_req,client_bound,repeat,labels,status,failed_requests,bound"
row() { # server mode rep rps [status] [failed] [bound] [client_bound]
	echo "2026-12-01T00:00:0${3}Z,httpd-$1,1,$2,100,,corpus,1500,$4,1.0,1000,50,80,${8:-0},$3,sweep=cores+mtu;status=ok,${5:-ok},${6:-0},${7:-server}"
}
{
	echo "$hdr"
	noise=(0 1.00 1.02 0.98 1.01 0.99)
	tpcn=(0 1.30 0.75 1.25 0.80 1.05)
	for rep in 1 2 3 4 5; do
		e=$(awk -v r="$rep" 'BEGIN { printf "%.0f", 10000 + 500 * (r % 3) }')
		row epoll keepalive "$rep" "$e"
		row uring keepalive "$rep" "$(awk -v e="$e" -v n="${noise[$rep]}" 'BEGIN { printf "%.0f", 2 * e * n }')"
		row tpc keepalive "$rep" "$(awk -v e="$e" -v n="${tpcn[$rep]}" 'BEGIN { printf "%.0f", e * n }')"
		if [ "$rep" = 5 ]; then row nginx keepalive 5 999999 errors 4711 server
		else row nginx keepalive "$rep" "$(awk -v e="$e" 'BEGIN { printf "%.0f", e / 1.5 }')"; fi
		row epoll close "$rep" 8000
		case $rep in
		1) row xdp close 1 900000 stalled 0 neither ;;
		2) row xdp close 2 950000 errors 120 client 1 ;;
		4) echo "2026-12-01T00:00:04Z,httpd-xdp,1,close,100,,corpus,1500,970000,1.0,1000,50,80,0,4,sweep=cores+mtu;status=server_died,ok,0,server" ;;
		*) row xdp close "$rep" 4000 ;;
		esac
	done
} >"$tmp/sweep-new.csv"
cat >"$tmp/sweep-new-failures.csv" <<'EOF'
timestamp,host,server,workers,server_cpus,mode,connections,target_rate,page_set,mtu,queues,repeat,status,reason
2026-12-01T00:00:04Z,vm,xdp,1,0,close,100,0,corpus,1500,1,4,server_died,"the server did not survive the run cleanly (exit 139): "
2026-12-01T00:00:05Z,vm,lighttpd,1,0,keepalive,100,0,corpus,1500,1,5,server_exit_1,"the server did not survive the run cleanly (exit 1): "
EOF

scripts/summary.sh "$tmp/sweep-new.csv" >"$tmp/new.out" 2>&1
rc=$?
sed 's/^/  | /' "$tmp/new.out"
check "summary exits 0" [ "$rc" = 0 ]
l=$(line "$tmp/new.out" "io_uring vs epoll, keep-alive, corpus, 1 core:")
echo "  $l"
check "clear ratio: 2.0x with an interval above 1" bash -c '[[ $1 =~ :\ 2\.0[0-9]x\ \(95%\ CI\ (1\.9[0-9]|2\.0[0-9])-2\.[0-9]+,\ 5\ pairs\) ]]' sh "$l"
l=$(line "$tmp/new.out" "thread-per-conn vs epoll, keep-alive, corpus, 1 core:")
echo "  $l"
check "noisy ratio: inconclusive" bash -c '[[ $1 == *"x, inconclusive (95% CI 0."*"-1."*", 5 pairs)"* ]]' sh "$l"
l=$(line "$tmp/new.out" "epoll vs nginx, keep-alive, corpus, 1 core:")
echo "  $l"
check "pairs by repetition: nginx's failed rep 5 leaves 4 pairs, 1.5x" bash -c '[[ $1 == *": 1.50x (95% CI 1.50-1.50, 4 pairs)"* ]]' sh "$l"
l=$(line "$tmp/new.out" "AF_XDP vs epoll, close, corpus, 1 core:")
echo "  $l"
check "2 pairs: no interval" bash -c '[[ $1 == *": 0.50x (2 pairs, too few for an interval)"* ]]' sh "$l"
check "failed runs never a peak" has "$tmp/new.out" "nginx, keep-alive, corpus: 7000 req/s"
check "failed or stalled req/s never quoted above the list" bash -c \
	'! sed "/^Runs not counted/,\$d" "$1" | grep -Eq "999999|900000|950000|970000"' sh "$tmp/new.out"
check "peak of xdp, close: 2 ok runs" has "$tmp/new.out" "AF_XDP, close, corpus: 4000 req/s"
check "list: errors run with failed requests and bound" \
	has "$tmp/new.out" "nginx, keep-alive, 100 connections, corpus, MTU 1500, 1 worker, closed loop, repeat 5: errors; failed requests 4711, bound server"
check "list: stalled run" has "$tmp/new.out" "AF_XDP, close, 100 connections, corpus, MTU 1500, 1 worker, closed loop, repeat 1: stalled; failed requests 0, bound neither"
check "list: client-bound errors run" has "$tmp/new.out" "repeat 2: errors; failed requests 120, bound client"
check "list: status label (server_died) with the failures file's reason, once" \
	bash -c '[ "$(grep -c "AF_XDP, close, .*repeat 4: server_died; failed requests 0, bound server (970000 req/s; the server did not survive the run cleanly (exit 139))" "$1")" = 1 ]' sh "$tmp/new.out"
check "list: a run with no row (failures file only)" has "$tmp/new.out" "lighttpd, keep-alive, 100 connections, corpus, MTU 1500, 1 worker, closed loop, repeat 5: server_exit_1; failed requests n/a, bound n/a (no row"
check "header counts ok and not-counted runs" bash -c 'grep -q "^26 ok runs" "$1" && grep -q "^5 runs failed or stalled" "$1"' sh "$tmp/new.out"
check "a client-bound run that failed marks nothing" hasnt "$tmp/new.out" "[client-bound"
scripts/summary.sh "$tmp/sweep-new.csv" >"$tmp/new2.out" 2>&1
check "reproducible (fixed seed)" cmp -s "$tmp/new.out" "$tmp/new2.out"

# --- an old-format CSV: status only in labels, no status/bound/failed_requests columns ---
ohdr="timestamp,server,workers,mode,connections,target_rate,page_set,mtu,req_per_s,gbit_per_s,lat_p99_us,server_cpu_us_per_req,machine_cpu_us_per_req,client_bound,repeat,labels"
{
	echo "$ohdr"
	for rep in 1 2 3; do
		echo "t,httpd-epoll,1,keepalive,100,,corpus,1500,$((10000 + rep * 300)),1,1000,50,80,0,$rep,sweep=cores;status=ok"
		echo "t,httpd-xdp,1,keepalive,100,,corpus,1500,$((3000 + rep * 90)),1,1000,50,80,1,$rep,sweep=cores;status=ok"
	done
	echo "t,httpd-xdp,1,keepalive,100,,corpus,1500,99999,1,1000,50,80,0,4,sweep=cores;status=server_died"
	echo "t,httpd-epoll,1,keepalive,100,,corpus,1500,10000,1,1000,50,80,0,4,sweep=cores;status=ok"
} >"$tmp/sweep-old.csv"
scripts/summary.sh "$tmp/sweep-old.csv" >"$tmp/old.out" 2>&1
rc=$?
sed 's/^/  | /' "$tmp/old.out"
check "old format: exits 0" [ "$rc" = 0 ]
check "old format: ratio from 3 pairs, client-bound marked" \
	has "$tmp/old.out" "AF_XDP vs epoll, keep-alive, corpus, 1 core: 0.30x (95% CI 0.30-0.30, 3 pairs)  [client-bound: first"
check "old format: server_died label listed" has "$tmp/old.out" "AF_XDP, keep-alive, 100 connections, corpus, MTU 1500, 1 worker, closed loop, repeat 4: server_died; failed requests n/a, bound n/a"
check "old format: died run not quoted" hasnt "$tmp/old.out" "99,999 req/s,"

# --- repetitions in different states: loadgen CPU per request 2x apart ---
shdr="timestamp,server,workers,mode,connections,target_rate,page_set,mtu,req_per_s,gbit_per_s,lat_p99_us,server_cpu_us_per_req,machine_cpu_us_per_req,loadgen_cpu_us_per_req,client_bound,repeat,labels,status,failed_requests,bound"
{
	echo "$shdr"
	lg_epoll=(0 20 25 36) lg_xdp=(0 100 290 110)
	for rep in 1 2 3; do
		echo "t,httpd-epoll,1,keepalive,100,,1m,1500,1800,15,1000,500,800,${lg_epoll[$rep]},0,$rep,sweep=pagesets,ok,0,server"
		echo "t,httpd-xdp,1,keepalive,100,,1m,1500,900,7,1000,900,1500,${lg_xdp[$rep]},0,$rep,sweep=pagesets,ok,0,server"
	done
} >"$tmp/sweep-states.csv"
scripts/summary.sh "$tmp/sweep-states.csv" >"$tmp/states.out" 2>&1
sed 's/^/  | /' "$tmp/states.out"
check "states: a point 2.9x apart is listed" \
	has "$tmp/states.out" "AF_XDP, keep-alive, 100 connections, 1m, MTU 1500, 1 worker, closed loop: 100-290 us per request over 3 runs (2.9x)"
check "states: a point 1.8x apart is not" hasnt "$tmp/states.out" "epoll, keep-alive, 100 connections, 1m"

# --- the tuned kernel: busy-polling variants against each other and their plain selves ---
{
	echo "$hdr"
	for rep in 1 2 3; do
		for v in "epoll 10000" "epoll-busy 12000" "uring 11000" "uring-busy 12500" "xdp 5000" "xdp-busy 9000"; do
			set -- $v
			echo "2026-12-01T00:00:0${rep}Z,httpd-$1,1,keepalive,100,,corpus,1500,$2,1.0,1000,50,80,0,$rep,sweep=cores,ok,0,server"
		done
	done
} >"$tmp/sweep-busy.csv"
scripts/summary.sh "$tmp/sweep-busy.csv" >"$tmp/busy.out" 2>&1
sed -n '/^Bypass against the tuned kernel/,/^$/p' "$tmp/busy.out" | sed 's/^/  | /'
check "tuned kernel: xdp-busy vs epoll-busy" has "$tmp/busy.out" "AF_XDP/busy-poll vs epoll/busy-poll, keep-alive, corpus: req/s 0.75x"
check "tuned kernel: each busy variant against its plain self" has "$tmp/busy.out" "io_uring/busy-poll vs io_uring, keep-alive, corpus: req/s 1.14x"

# --- REPS=auto's decision on the same data ---
decide() { awk -f scripts/lib/csv.awk -f scripts/lib/bootstrap.awk -f scripts/lib/runs.awk -f scripts/lib/reps-auto.awk "$@"; }
decide "$tmp/sweep-new.csv" >"$tmp/decide.out"
sed 's/^/  | /' "$tmp/decide.out"
check "decision: keep-alive group open (tpc vs epoll holds 1, wide)" \
	grep -q $'^1 keepalive 100 0 corpus 1500\topen\t.*tpc vs epoll: .* holds 1' "$tmp/decide.out"
check "decision: close group open (xdp vs epoll: 2 pairs)" \
	grep -q $'^1 close 100 0 corpus 1500\topen\txdp vs epoll: 2 pairs' "$tmp/decide.out"
# Without tpc the keep-alive group is settled: uring 2x, nginx 1.5x.
grep -v httpd-tpc "$tmp/sweep-new.csv" >"$tmp/no-tpc.csv"
decide "$tmp/no-tpc.csv" >"$tmp/decide2.out"
check "decision: clear ratios settle the group" grep -q $'^1 keepalive 100 0 corpus 1500\tsettled\t' "$tmp/decide2.out"
# A tight "about equal" (within +-5%) settles too; a wider one does not.
{
	echo "$hdr"
	for rep in 1 2 3 4 5 6; do
		row epoll keepalive "$rep" 10000
		row uring keepalive "$rep" $((rep % 2 ? 10100 : 9950))
		row epoll close "$rep" 10000
		row uring close "$rep" $((rep % 2 ? 11000 : 9200))
	done
} >"$tmp/equal.csv"
decide "$tmp/equal.csv" >"$tmp/decide3.out"
sed 's/^/  | /' "$tmp/decide3.out"
check "decision: equal within 5% settles" grep -q $'^1 keepalive 100 0 corpus 1500\tsettled' "$tmp/decide3.out"
check "decision: equal within 10% stays open" grep -q $'^1 close 100 0 corpus 1500\topen' "$tmp/decide3.out"
check "decision: AUTO_CI_PCT=12 settles it (its t interval is +-10.3%)" bash -c '
	awk -f scripts/lib/csv.awk -f scripts/lib/bootstrap.awk -f scripts/lib/runs.awk -f scripts/lib/reps-auto.awk -v ci_pct=12 "$1" |
		grep -q "^1 close 100 0 corpus 1500	settled"' sh "$tmp/equal.csv"
# A lone server: its own median within +-10%.
grep -e '^timestamp' -e 'httpd-epoll' "$tmp/equal.csv" >"$tmp/lone.csv"
check "decision: a lone steady server settles" bash -c '
	awk -f scripts/lib/csv.awk -f scripts/lib/bootstrap.awk -f scripts/lib/runs.awk -f scripts/lib/reps-auto.awk "$1" |
		grep -q "^1 keepalive 100 0 corpus 1500	settled	epoll: median +-0%"' sh "$tmp/lone.csv"

# --- 8. SLO searches ----------------------------------------------------------------
# epoll: two searches, knees 9000 and 11000 (median 10000), each with a step
# over the SLO and one with failed requests (status errors) above its knee;
# uring: one search whose first failing step was client-bound.
hdr="timestamp,server,workers,mode,connections,target_rate,page_set,mtu,req_per_s,lat_p99_us,client_bound,repeat,labels,status,failed_requests,bound,slo,slo_latency_us,slo_verdict,search_step,search_phase,slo_capacity_req_s"
srow() { # server rep rate verdict phase [capacity] [status]
	echo "t,httpd-$1,1,keepalive,100,$3,corpus,1500,$3,900,0,$2,sweep=latency,${7:-ok},$([ "${7:-ok}" = ok ] && echo 0 || echo 50),server,p99=2ms,900,$4,1,$5,${6:-}"
}
{
	echo "$hdr"
	srow epoll 1 4000 pass exp; srow epoll 1 8000 pass exp; srow epoll 1 16000 failed_requests exp "" errors
	srow epoll 1 12000 over_slo bisect; srow epoll 1 9000 pass repeat; srow epoll 1 9000 pass knee 9000
	srow epoll 2 4000 pass exp; srow epoll 2 16000 over_slo exp; srow epoll 2 11000 pass repeat
	srow epoll 2 11000 pass knee 11000
	srow uring 1 4000 pass exp; srow uring 1 8000 client_bound exp; srow uring 1 4000 pass knee 4000
} >"$tmp/slo.csv"
scripts/summary.sh "$tmp/slo.csv" >"$tmp/slo.out" 2>&1
check "searches: summary exits 0" [ "$?" = 0 ]
sed 's/^/  | /' "$tmp/slo.out"
check "searches: the median knee, its range" has "$tmp/slo.out" "epoll, keep-alive, 100 connections, corpus, MTU 1500, 1 worker: 10000 req/s under p99=2ms (median of 2 searches, 9000-11000)"
check "searches: a knee bounded by a client-bound step says so" bash -c \
	'grep -F "io_uring, keep-alive" "$1" | grep -qF "4000 req/s under p99=2ms (1 search)  [1 of 1 searches stopped at a client-bound step"' sh "$tmp/slo.out"
check "searches: epoll's knees carry no client-bound note" bash -c '! grep -F "epoll, keep-alive" "$1" | grep -q "client-bound"' sh "$tmp/slo.out"
check "searches: steps are neither runs nor failures" bash -c 'grep -q "^0 ok runs" "$1" && ! grep -q "failed or stalled" "$1"' sh "$tmp/slo.out"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
