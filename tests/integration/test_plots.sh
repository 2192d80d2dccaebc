#!/usr/bin/env bash
# scripts/plots.sh on small made-up CSVs (no root, no lab, a few seconds):
#   1. a CSV of today's schema with ok, errors, stalled and server_died rows:
#      every figure is drawn (SVG + PNG); the data files gnuplot reads
#      (PLOTS_DATA) hold the failed and stalled runs only in the markers'
#      files, never in a line's (or a bar's); a point whose runs all failed
#      is a break in its line; one where some failed is its good runs only;
#      the key names the markers only in figures that have them;
#   1b. an SLO search's rows (loadgen --search): latency-slo draws its steps
#      sorted by rate with their verdicts, the knee apart; the latency-p99
#      figures leave them out;
#   2. a CSV older than the status column (status in labels, no
#      failed_requests): a run with over 0.1% failed requests is a failed run;
#   3. loadgen --timeline files: a figure per run, found beside the CSV (in
#      NAME-timelines/) or given alone; a file of two runs gives two figures,
#      a run without any completed request still gets its figure.
set -u
cd "$(dirname "$0")/../.." || exit 1

skip() { echo "SKIP: $*"; exit 77; }
command -v gnuplot >/dev/null || skip "gnuplot is not installed (make deps)"

tmp=$(mktemp -d /tmp/bb-test-plots.XXXXXX) || exit 1
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT

passed=0 failed=0
check() { # name command...
	local name=$1
	shift
	if "$@"; then echo "ok - $name"; passed=$((passed + 1)); else echo "not ok - $name"; failed=$((failed + 1)); fi
}

# One row from key=value pairs, in the order of the header $1; others empty.
row() { # header key=value...
	local header=$1
	shift
	awk -v header="$header" 'BEGIN {
		n = split(header, h, ",")
		for (i = 2; i < ARGC; i++) { k = ARGV[i]; sub(/=.*/, "", k); v = ARGV[i]; sub(/^[^=]*=/, "", v); val[k] = v }
		for (i = 1; i <= n; i++) printf "%s%s", (i > 1 ? "," : ""), val[h[i]]
		print ""; exit }' x "$@"
}

# --- 1. today's schema --------------------------------------------------------------
H=$(sed -n 's/^[[:space:]]*X(\([a-z0-9_]*\),.*/\1/p' loadgen/csv_schema.h | paste -sd, -)
check "schema read from loadgen/csv_schema.h" [ "$(echo "$H" | tr ',' '\n' | grep -cx 'status\|failed_requests\|bound')" = 3 ]
csv=$tmp/new.csv
echo "$H" >"$csv"
common="commit=abc123 host=testhost kernel=6.0 cpu_model=TestCPU mtu=1500 queues=1 warmup_s=0.5 duration_s=3"
# good(server sweep key=value...): a good run. Sentinel values mark the bad runs:
# req/s 777 (errors), 555 (stalled), 333 (server_died), never those of a good run.
run() { # status server sweep rps key=value...
	local st=$1 srv=$2 sw=$3 rps=$4
	shift 4
	local fr=0 req=$((${rps%.*} * 3)) bound=server
	case $st in errors) fr=$((req / 10)) ;; stalled) bound=neither ;; esac
	[ "$rps" = 0 ] && req=0
	# shellcheck disable=SC2086
	row "$H" $common server="$srv" workers=1 server_cpus=0 mode=keepalive connections=100 page_set=tiny \
		requests="$req" req_per_s="$rps" gbit_per_s="$(awk -v r="$rps" 'BEGIN { print r / 1000 }')" \
		lat_p99_us="$(awk -v r="$rps" 'BEGIN { print r ? r * 10 : "" }')" timeouts="$fr" failed_requests="$fr" \
		server_user_pct=20 server_sys_pct=30 server_softirq_pct=40 server_idle_pct=10 \
		server_cpu_us_per_req="$(awk -v r="$rps" 'BEGIN { print r / 10 }')" client_bound=0 \
		labels="sweep=$sw" status="$st" bound="$bound" "$@" >>"$csv"
}
# cores, close mode: all good (a figure without markers).
for r in 1 2 3; do
	run ok httpd-epoll cores $((1000 + r * 100)) mode=close repeat=$r
	run ok nginx cores $((2000 + r * 100)) mode=close repeat=$r
	run ok httpd-epoll cores $((1500 + r * 100)) mode=close workers=2 server_cpus=0-1 repeat=$r
done
# cores, keep-alive: lighttpd has only failed runs, epoll one of three.
run ok httpd-epoll cores 1000 repeat=1
run ok httpd-epoll cores 1200 repeat=2
run errors httpd-epoll cores 777 repeat=3
run server_died lighttpd cores 333 repeat=1
run errors lighttpd cores 777 repeat=2
# concurrency: epoll at 10 failed and stalled in every run (a break in its line),
# at 100 one run of three failed (the median of the two others).
for r in 1 2 3; do
	run ok httpd-epoll concurrency $((1000 + r)) connections=1 repeat=$r
	run ok nginx concurrency $((2000 + r)) connections=1 repeat=$r
	run ok nginx concurrency $((2100 + r)) connections=10 repeat=$r
	run ok nginx concurrency $((2200 + r)) connections=100 repeat=$r
	run ok httpd-epoll concurrency $((1300 + r)) connections=1000 repeat=$r
done
run errors httpd-epoll concurrency 777 connections=10 repeat=1
run errors httpd-epoll concurrency 777 connections=10 repeat=2
run stalled httpd-epoll concurrency 555 connections=10 repeat=3
run ok httpd-epoll concurrency 1000 connections=100 repeat=1
run ok httpd-epoll concurrency 1200 connections=100 repeat=2
run errors httpd-epoll concurrency 777 connections=100 repeat=3
# page sets: 1m failed for every server (a category with markers only).
for r in 1 2; do
	run ok httpd-epoll pagesets $((1000 + r)) page_set=tiny repeat=$r
	run ok nginx pagesets $((2000 + r)) page_set=tiny repeat=$r
	run ok httpd-epoll pagesets $((1100 + r)) page_set=corpus repeat=$r
	run errors httpd-epoll pagesets 777 page_set=1m repeat=$r
	run errors nginx pagesets 777 page_set=1m repeat=$r
done
# latency (log y): a stalled open-loop run with no latency at all (at the
# axis' bottom) and a failed one.
for r in 1 2; do
	run ok httpd-epoll latency 1000 target_rate=1000 repeat=$r
	run ok httpd-epoll latency 2000 target_rate=2000 repeat=$r
done
run stalled httpd-epoll latency 0 target_rate=3000 repeat=1
run errors httpd-epoll latency 777 target_rate=3000 repeat=2

# An SLO search of epoll (latency sweep): steps out of rate order, one over
# the SLO, one with failed requests, one client-bound; the knee row last.
srch() { # rate req/s latency verdict phase status [capacity]
	run "$6" httpd-epoll latency "$2" target_rate="$1" repeat=1 slo=p99=2ms slo_latency_us="$3" slo_verdict="$4" \
		search_step=1 search_phase="$5" slo_capacity_req_s="${7:-}"
}
srch 4000 3990 400 pass exp ok; srch 16000 15000 9000 over_slo exp ok; srch 8000 7900 600 pass exp ok
srch 32000 20000 50000 failed_requests exp errors; srch 12000 11800 3000 client_bound bisect ok
srch 8000 7950 650 pass knee ok 8000

PLOTS_DATA=$tmp/data scripts/plots.sh "$csv" "$tmp/out" >"$tmp/plots.out" 2>&1
rc=$?
sed 's/^/  | /' "$tmp/plots.out"
check "plots.sh exits 0" [ "$rc" = 0 ]
figs="cores-close-rps cores-close-gbps cores-keepalive-rps cores-keepalive-gbps concurrency-keepalive-rps
	concurrency-keepalive-p99 pagesets-keepalive-rps pagesets-keepalive-gbps latency-p99 cpu-keepalive cpu-close
	latency-slo"
missing=""
for f in $figs; do
	[ -s "$tmp/out/$f.svg" ] && grep -q '<svg' "$tmp/out/$f.svg" || missing+=" $f.svg"
	[ "$(head -c 4 "$tmp/out/$f.png" 2>/dev/null | tail -c 3)" = PNG ] || missing+=" $f.png"
done
[ -z "$missing" ] || echo "  missing or not an image:$missing"
check "every figure, SVG and PNG" [ -z "$missing" ]
d=$tmp/data

# The sentinels of bad runs (req/s, Gbit/s, p99, CPU per request).
bad_re='(^| )(777|0\.777|7770|77\.7|555|0\.555|5550|55\.5|333|0\.333|3330|33\.3)( |$)'
lines_clean() { ! grep -Eq "$bad_re" "$d"/*/*.dat || { grep -EH "$bad_re" "$d"/*/*.dat | sed 's/^/  in a line: /'; false; }; }
check "no failed or stalled run in any line's or bar's data" lines_clean
check "lines have data" grep -q . "$d/concurrency-keepalive-rps/nginx.dat"
check "failed runs in the failed markers" [ "$(cat "$d/concurrency-keepalive-rps/epoll.failed")" = "$(printf '10 777\n10 777\n100 777')" ]
check "stalled run in the stalled markers" [ "$(cat "$d/concurrency-keepalive-rps/epoll.stalled")" = "10 555" ]
check "a point whose runs all failed breaks the line" \
	[ "$(cat "$d/concurrency-keepalive-rps/epoll.dat")" = "$(printf '1 1002 1001 1003 3 0\n\n100 1100 1000 1200 2 0\n1000 1302 1301 1303 3 0')" ]
check "nginx has no markers" [ ! -s "$d/concurrency-keepalive-rps/nginx.failed" ] && [ ! -s "$d/concurrency-keepalive-rps/nginx.stalled" ]
check "a server with only failed runs: markers, no line" \
	[ "$(cat "$d/cores-keepalive-rps/lighttpd.dat")" = "1 NaN NaN NaN 0 0" ] && [ "$(cat "$d/cores-keepalive-rps/lighttpd.failed")" = "$(printf '1 333\n1 777')" ]
check "a run without a value: marker at 0 (the axis' bottom)" grep -qx '3000 0' "$d/latency-p99/epoll.stalled"
check "failed open-loop run marked" grep -qx '3000 7770' "$d/latency-p99/epoll.failed"
check "latency-slo: every step, by rate, with its verdict (1 pass, 0 failed, 2 client-bound)" \
	[ "$(cat "$d/latency-slo/epoll.steps")" = "$(printf '3990 400 1\n7900 600 1\n11800 3000 2\n15000 9000 0\n20000 50000 0')" ]
check "latency-slo: the knee apart" [ "$(cat "$d/latency-slo/epoll.knee")" = "7950 650" ]
check "latency-slo: the SLO's line and the knee in the key" grep -q 'SLO p99=2ms' "$tmp/out/latency-slo.svg"
check "latency-p99 leaves the search's rows out" bash -c '! grep -Eq "^(4000|8000|12000|16000|32000) " "$1"/latency-p99/epoll.*' sh "$d"
check "page set with failed runs only: a category of its own" \
	[ "$(cat "$d/pagesets-keepalive-rps/cats")" = "$(printf 'tiny 1\n1m 2\ncorpus 3')" ] && grep -qx '2 777' "$d/pagesets-keepalive-rps/nginx.failed"
check "CPU bars: good runs only, a server with failed runs only has an empty bar" \
	[ "$(cut -d' ' -f1,5- "$d/cpu-keepalive/bars.dat")" = "$(printf '"epoll" 110 100 120 0\n"lighttpd" - - - 0')" ]
check "CPU markers: failed runs at their total" [ "$(cat "$d/cpu-keepalive/bad.failed")" = "$(printf '0 77.7\n1 33.3\n1 77.7')" ]
check "key: failed run, stalled run where there are such runs" \
	grep -q 'failed run' "$tmp/out/concurrency-keepalive-rps.svg" && grep -q 'stalled run' "$tmp/out/concurrency-keepalive-rps.svg" &&
	grep -q 'failed run' "$tmp/out/cpu-keepalive.svg" && grep -q 'stalled run' "$tmp/out/latency-p99.svg"
check "key: a server without a good run is still named" grep -q '>lighttpd<' "$tmp/out/cores-keepalive-rps.svg"
check "key: no marker entries where there are none" bash -c '
	! grep -q "failed run\|stalled run" "$1/cores-close-rps.svg" "$1/cpu-close.svg" &&
	! grep -q "stalled run" "$1/pagesets-keepalive-rps.svg"' sh "$tmp/out"

# aggregate.awk: status=bad lists the runs; the default is unchanged.
agg() { awk -f scripts/lib/csv.awk -f scripts/lib/aggregate.awk -v short=1 -v by=server,connections -v metrics=req_per_s "$@" "$csv"; }
check "aggregate status=bad: one line per run with its status" \
	[ "$(agg -v status=bad -v where='sweep~concurrency')" = "$(printf 'epoll 10 777 errors\nepoll 10 777 errors\nepoll 10 555 stalled\nepoll 100 777 errors')" ]
check "aggregate default = status=good on today's schema" [ "$(agg -v where=)" = "$(agg -v where= -v status=good)" ]

# --- 2. a CSV older than the status column -----------------------------------------
oldh=${H%%,status,*}
old=$tmp/old.csv
echo "$oldh" >"$old"
orow() { # rps timeouts status repeat
	row "$oldh" $common server=httpd-epoll workers=1 mode=keepalive connections=1000 page_set=corpus \
		requests=10000 req_per_s="$1" timeouts="$2" non_2xx=0 read_errors=0 connect_errors=0 client_bound=0 \
		repeat="$4" labels="sweep=concurrency;status=$3" >>"$old"
}
orow 1000 0 ok 1
orow 1200 10 ok 2     # 0.1%: still good
orow 777 11 ok 3      # over 0.1%: failed, though its label says ok
orow 333 0 server_died 4
PLOTS_DATA=$tmp/olddata scripts/plots.sh "$old" "$tmp/oldout" >"$tmp/oldplots.out" 2>&1
rc=$?
sed 's/^/  | /' "$tmp/oldplots.out"
check "old CSV: plots.sh exits 0" [ "$rc" = 0 ]
check "old CSV: figure drawn" [ -s "$tmp/oldout/concurrency-keepalive-rps.png" ]
check "old CSV: the line holds the good runs only" [ "$(cat "$tmp/olddata/concurrency-keepalive-rps/epoll.dat")" = "1000 1100 1000 1200 2 0" ]
check "old CSV: over 0.1% failed requests is a failed run" \
	[ "$(cat "$tmp/olddata/concurrency-keepalive-rps/epoll.failed")" = "$(printf '1000 777\n1000 333')" ]
check "old CSV: aggregate default unchanged (label status only)" \
	[ "$(awk -f scripts/lib/csv.awk -f scripts/lib/aggregate.awk -v by=server -v metrics=req_per_s "$old")" = "httpd-epoll 1000 777 1200 3 0" ]

# --- 3. timelines ---------------------------------------------------------------------
TH=$(sed -n 's/^[[:space:]]*X(\([a-z0-9_]*\),.*/\1/p' loadgen/timeline_report.h | paste -sd, -)
check "timeline schema read from loadgen/timeline_report.h" [ "${TH%%,*}" = interval ]
# trow run_start interval phase start end requests failed timeouts p50 p99
trow() {
	local rps
	rps=$(awk -v n="$6" -v s="$4" -v e="$5" 'BEGIN { printf "%.1f", (e > s) ? n / (e - s) : 0 }')
	row "$TH" run_start="$1" interval="$2" phase="$3" start_s="$4" end_s="$5" requests="$6" req_per_s="$rps" \
		failed="$7" timeouts="$8" connect_errors=0 read_errors=0 non_2xx=0 lat_p50_us="$9" lat_p90_us="$9" \
		lat_p99_us="${10}" lat_max_us="${10}" loadgen_cpu_pct=40.0 server=httpd-epoll mode=keepalive \
		connections=100 page_set=tiny labels="sweep=test"
}
mkdir -p "$tmp/new-timelines"
tl=$tmp/new-timelines/epoll-rep1.csv
{
	echo "$TH"
	trow 2026-12-02T10:00:00.000Z 0 warmup 0.000 0.500 500 0 0 40 90
	trow 2026-12-02T10:00:00.000Z 1 warmup 0.500 1.000 600 0 0 41 95
	trow 2026-12-02T10:00:00.000Z 2 measured 1.000 1.500 700 0 0 42 99
	trow 2026-12-02T10:00:00.000Z 3 measured 1.500 2.000 100 12 12 900 5000
	trow 2026-12-02T10:00:00.000Z 4 measured 2.000 2.500 650 0 0 43 98
	trow 2026-12-02T10:00:00.000Z 5 drain 2.500 2.501 3 0 0 44 60
} >"$tl"
tl2=$tmp/two-runs.csv
{
	echo "$TH"
	trow 2026-12-02T11:00:00.000Z 0 measured 0.000 1.000 1000 0 0 50 100
	trow 2026-12-02T11:00:00.000Z 1 drain 1.000 1.001 1 0 0 50 100
	trow 2026-12-02T11:00:05.000Z 0 measured 0.000 1.000 0 8 8 "" ""
	trow 2026-12-02T11:00:05.000Z 1 drain 1.000 2.000 0 8 8 "" ""
} >"$tl2"
PLOTS_DATA=$tmp/tldata scripts/plots.sh "$csv" "$tl2" "$tmp/tlout" >"$tmp/tlplots.out" 2>&1
rc=$?
sed 's/^/  | /' "$tmp/tlplots.out"
check "timelines: plots.sh exits 0" [ "$rc" = 0 ]
missing=""
for f in timeline-epoll-rep1 timeline-two-runs-1 timeline-two-runs-2 cores-close-rps; do
	[ -s "$tmp/tlout/$f.svg" ] && grep -q '<svg' "$tmp/tlout/$f.svg" || missing+=" $f.svg"
	[ "$(head -c 4 "$tmp/tlout/$f.png" 2>/dev/null | tail -c 3)" = PNG ] || missing+=" $f.png"
done
[ -z "$missing" ] || echo "  missing or not an image:$missing"
check "timelines: a figure per run (beside the CSV, and given), with the sweep's figures" [ -z "$missing" ]
check "timelines: the data: start, end, middle, req/s, p50, p99, failed" \
	grep -qx '1.500 2.000 1.75 200.0 900 5000 12' "$tmp/tldata/timeline-epoll-rep1/run-1.dat"
check "timelines: warm-up and drain marked, failures flagged, latency present" \
	grep -q '^1 1.000 2.500 2.501 1 1 httpd-epoll, keepalive, 100 connections, closed loop, page set tiny' "$tmp/tldata/timeline-epoll-rep1/runs"
check "timelines: a run without requests: no latency, a '-' where p50 would be" \
	bash -c 'grep -q "^2 0 1.000 2.000 1 0 " "$1/runs" && grep -qx "0.000 1.000 0.5 0.0 - - 8" "$1/run-2.dat"' sh "$tmp/tldata/timeline-two-runs"
check "timelines: the key names failures where there are some" \
	bash -c 'grep -q ">failed<" "$1/timeline-epoll-rep1.svg" && ! grep -q ">failed<" "$1/timeline-two-runs-1.svg"' sh "$tmp/tlout"
scripts/plots.sh "$tl" "$tmp/tlonly" >"$tmp/tlonly.out" 2>&1
check "timelines: a timeline file alone draws its figure only" \
	bash -c '[ "$(ls "$1" | sort | paste -sd " ")" = "timeline-epoll-rep1.png timeline-epoll-rep1.svg" ]' sh "$tmp/tlonly"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
