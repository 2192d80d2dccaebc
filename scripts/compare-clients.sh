#!/usr/bin/env bash
# bin/loadgen against wrk and ab: the benchmark behind the load generator's
# performance targets (the ratios printed at the end). One lab, one server
# (nginx, one worker pinned to the server core, configured by
# scripts/lib/servers.sh at its best for tiny pages), every client pinned to
# the same client core, runs interleaved, REPS repetitions:
#
#   keepalive  loadgen --mode keepalive        vs  wrk -t1 -cC -dD
#   close      loadgen --mode close  vs  wrk -H 'Connection: close'  vs  ab -c C (no -k)
#
# loadgen runs once per engine of ENGINES: "loadgen" is --engine epoll,
# "loadgen-uring" --engine uring.
#
# plus one loadgen keep-alive run at RSS_CONNS connections whose VmRSS is read
# from /proc mid-run.
#
#   scripts/compare-clients.sh            (root; REPS=1 DURATION=1 for a quick check)
#
# Every client is measured the same way: its req/s from its own output (wrk
# "Requests/sec:", ab "Requests per second:", loadgen --json req_per_s); its
# CPU time as the utime+stime of its process session (scripts/lib/cpu-sample.sh,
# the client is started under setsid) and the busy % of the client core
# (/proc/stat), both sampled over the same window inside the run (a margin
# after the start, before the end), so CPU per request is
# (CPU seconds / window) / req/s whatever each client does at start and exit.
#
# Environment:
#   REPS (5)  DURATION (5, whole seconds: wrk and ab take no fractions)
#   MODES (keepalive close)  the comparisons to run
#   ENGINES (epoll uring)    loadgen's --engine values to compare
#   CONNS (100)            connections of the comparison runs
#   RSS_CONNS (10000)      connections of the memory run; 0 skips it
#   RSS_DURATION (DURATION, at least 2)
#   PAGESET (tiny)         page set the server serves; URI: its first page
#   CLIENT_CPUS            the one client core (default: the last CPU);
#                          the server gets CPU 0
#   SRV_PORT (8080)  TIMEOUT (2, loadgen's --timeout)  LAB_CLIENT_TX_CSUM (off)
#   OUT (results/clients-HOST-STAMP.csv)  machine details beside it (-machine.txt)
#
# Prints a progress line per run on stderr, then a table of medians and the
# ratios with their targets on stdout. Local lab only.
# Exit: 0 after the runs (targets missed are reported, not fatal), 1 when it
# cannot run, 130 when interrupted; no server, client or lab is left behind.
set -u
BB_PROG=compare-clients
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$BB_ROOT/scripts/lib/topology.sh"
source "$BB_ROOT/scripts/lib/cpustat.sh"
source "$BB_ROOT/scripts/lib/servers.sh"
source "$BB_ROOT/scripts/lib/metadata.sh"
cd "$BB_ROOT" || exit 1

case ${1:-} in
-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
"") ;;
*) bb_die "no arguments, only environment variables (--help)" ;;
esac

REPS=${REPS:-5} DURATION=${DURATION:-5} CONNS=${CONNS:-100} RSS_CONNS=${RSS_CONNS:-10000}
RSS_DURATION=${RSS_DURATION:-$DURATION} PAGESET=${PAGESET:-tiny} TIMEOUT=${TIMEOUT:-2}
MODES=${MODES:-keepalive close} ENGINES=${ENGINES:-epoll uring}
for m in $MODES; do
	case $m in keepalive|close) ;; *) bb_die "MODES: '$m' is not keepalive or close" ;; esac
done
LOADGEN_CLIENTS=()
for e in $ENGINES; do
	case $e in
	epoll) LOADGEN_CLIENTS+=(loadgen) ;;
	uring) LOADGEN_CLIENTS+=(loadgen-uring) ;;
	*) bb_die "ENGINES: '$e' is not epoll or uring" ;;
	esac
done
[ ${#LOADGEN_CLIENTS[@]} -gt 0 ] || bb_die "ENGINES is empty"
for v in REPS DURATION CONNS RSS_DURATION; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || bb_die "$v must be a positive whole number, not '${!v}'"
done
[[ $RSS_CONNS =~ ^[0-9]+$ ]] || bb_die "RSS_CONNS must be a number, not '$RSS_CONNS'"
[ "$RSS_DURATION" -ge 2 ] || RSS_DURATION=2 # 10,000 connects must fit before the mid-run sample
[[ $TIMEOUT =~ ^[0-9]+(\.[0-9]+)?$ ]] || bb_die "TIMEOUT must be a number of seconds, not '$TIMEOUT'"
is_remote && bb_die "the client comparison runs in the local lab only (unset SERVER_HOST/CLIENT_HOST)"
[ "$(id -u)" = 0 ] || bb_die "the lab needs root (network namespaces)"
for tool in wrk ab taskset setsid; do
	command -v "$tool" >/dev/null || bb_die "$tool is not installed (make deps)"
done
[ -x bin/loadgen ] || bb_die "bin/loadgen is not built (make bin/loadgen)"
reason=$(server_check nginx) || bb_die "$reason"

# One core each: the clients compared are single-threaded (wrk -t1, ab).
CLIENT_CORES=1
cpu_split
[ "$(cpu_list_count "$CLIENT_CPUS")" = 1 ] || bb_die "CLIENT_CPUS must be one CPU, not '$CLIENT_CPUS'"
SERVER_CPU=$(server_cpus_for 1)
[ "$CLIENT_CPUS" != "$SERVER_CPU" ] || bb_die "the client core ($CLIENT_CPUS) is the server's ($SERVER_CPU)"

tmp=$(mktemp -d /tmp/bypassbench-clients.XXXXXX) || exit 1
index=$(pageset_index "$PAGESET" "$tmp/uris") || bb_die "page set '$PAGESET' not found (make corpus)"
URI=${URI:-$(head -n 1 "$index")}
[ -n "$URI" ] || bb_die "page set '$PAGESET' has an empty index"
page_bytes=$(stat -c %s "$(pageset_dir "$PAGESET")$URI" 2>/dev/null || echo "?")

LAB_NAME=cc$$ # LAB (what run_side uses) is set once the lab is up
LAB=""
SRV_ADDR=$TOPO_SRV_ADDR
SRV_PORT=${SRV_PORT:-8080}
SRV_TMP=/tmp/bypassbench-$LAB_NAME-srv
SRV_LOG=$tmp/server.log
SRV_PROBE_URI=$URI
SRV_PID="" SRV_LAUNCH="" cl_launch="" cl_pid="" nap_pid="" lab_up=0
URL="http://$SRV_ADDR:$SRV_PORT$URI"

nap() { sleep "$1" & nap_pid=$!; wait "$nap_pid"; nap_pid=""; }
# nap_until T0 S: sleep until S seconds after T0 (an $EPOCHREALTIME)
nap_until() {
	local left
	left=$(awk -v t0="$1" -v s="$2" -v now="$EPOCHREALTIME" 'BEGIN { l = t0 + s - now; if (l > 0) printf "%.3f", l }')
	[ -n "$left" ] && nap "$left"
	return 0
}

stop_client() {
	[ -n "$cl_launch" ] || return 0
	# The client is a session leader (setsid): its group goes, then the launcher.
	[ -n "$cl_pid" ] && kill -TERM -- "-$cl_pid" 2>/dev/null
	kill -TERM "$cl_launch" 2>/dev/null
	wait "$cl_launch" 2>/dev/null
	cl_launch="" cl_pid=""
}

cleanup() {
	[ -n "$nap_pid" ] && kill "$nap_pid" 2>/dev/null
	stop_client
	server_stop 2>/dev/null
	if [ "$lab_up" = 1 ]; then
		topo_down "$LAB_NAME"
		lab_up=0 LAB=""
	fi
	rm -rf "$SRV_TMP" "$tmp"
}
on_signal() { bb_log "compare-clients: interrupted, cleaning up"; trap - INT TERM HUP PIPE; cleanup; exit 130; }
trap on_signal INT TERM HUP PIPE
trap cleanup EXIT

# --- what made the numbers ----------------------------------------------------
meta=$(meta_row_fields)
meta_get() { printf '%s\n' "$meta" | sed -n "s/^meta_$1=//p" | head -n 1; }
host=$(meta_get host)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-results/clients-$host-$stamp.csv}
mkdir -p "$(dirname "$OUT")" || bb_die "cannot create the folder of $OUT"
machine_file=${OUT%.csv}-machine.txt
machine_info "$machine_file" && sed -i '1s|scripts/sweep.sh|scripts/compare-clients.sh|' "$machine_file"
wrk_version=$(wrk --version 2>&1 | head -n 1 | awk '{ print $2 }')
ab_version=$(ab -V 2>&1 | sed -n 's/.*Version \([^ ]*\).*/\1/p' | head -n 1)
loadgen_version=$(meta_get git_commit)

COLUMNS_CSV="timestamp,commit,host,kernel,cpu_model,ncpus,governor,run,client,client_version,mode,connections,rep,duration_s,server,server_cpu,client_cpu,uri,page_bytes,exit_status,cpu_status,req_per_s,requests,errors,error_detail,window_s,client_cpu_s,client_cpu_us_per_req,client_proc_busy_pct,client_core_busy_pct,client_bound,server_core_busy_pct,rss_mid_kib,rss_hwm_kib,command"
echo "$COLUMNS_CSV" >"$OUT" || bb_die "cannot write $OUT"

csv_q() { # one field, quoted when it needs it (scripts/lib/csv.awk reads it back)
	case $1 in
	*[\",]*) local s=${1//\"/\"\"}; printf '"%s"' "$s" ;;
	*) printf '%s' "$1" ;;
	esac
}

# --- lab and server ------------------------------------------------------------
lab_up=1
TOPO_CLIENT_TX_CSUM=${LAB_CLIENT_TX_CSUM:-off} topo_up "$LAB_NAME" 1500 1 >"$tmp/topo.log" 2>&1 ||
	bb_die "topo_up failed: $(tr '\n' ' ' <"$tmp/topo.log")"
LAB=$LAB_NAME
# Room for RSS_CONNS connections plus the TIME_WAIT of earlier runs; every
# client gets the same range.
run_side cli sysctl -qw net.ipv4.ip_local_port_range="1024 65535" ||
	bb_die "cannot widen ip_local_port_range in the client namespace"
run_side srv sysctl -qw net.core.somaxconn=65535 ||
	bb_die "cannot raise net.core.somaxconn in the server namespace"
server_start nginx 1 "$SERVER_CPU" "$PAGESET" || bb_die "nginx: $SRV_ERROR"
server_wait_ready nginx 20 || bb_die "nginx: $SRV_ERROR"

# --- one run ---------------------------------------------------------------------
# client_argv CLIENT MODE CONNS DURATION -> CL_ARGV
client_argv() {
	local client=$1 mode=$2 conns=$3 dur=$4
	case $client/$mode in
	loadgen/keepalive) CL_ARGV=(bin/loadgen --url "$URL" --connections "$conns" --mode keepalive --engine epoll) ;;
	loadgen/close) CL_ARGV=(bin/loadgen --url "$URL" --connections "$conns" --mode close --engine epoll) ;;
	loadgen-uring/keepalive) CL_ARGV=(bin/loadgen --url "$URL" --connections "$conns" --mode keepalive --engine uring) ;;
	loadgen-uring/close) CL_ARGV=(bin/loadgen --url "$URL" --connections "$conns" --mode close --engine uring) ;;
	wrk/keepalive) CL_ARGV=(wrk -t1 -c"$conns" -d"$dur"s "$URL") ;;
	wrk/close) CL_ARGV=(wrk -t1 -c"$conns" -d"$dur"s -H 'Connection: close' "$URL") ;;
	# -t implies -n 50000: -n after it lifts the cap, so the time ends the run.
	# -q: no progress lines; -r: a receive error is counted, not the end of the run.
	ab/close) CL_ARGV=(ab -q -r -t "$dur" -n 10000000 -c "$conns" "$URL") ;;
	*) bb_die "client_argv: no $client in $mode mode" ;;
	esac
	if [ "${client%%-*}" = loadgen ]; then
		CL_ARGV+=(--threads 1 --cpus "$CLIENT_CPUS" --duration "$dur" --timeout "$TIMEOUT" --json --no-progress)
	fi
	return 0
}

# Pulls req/s, requests and errors out of a client's own output.
# parse_output CLIENT FILE -> "req_per_s requests errors detail"
parse_output() {
	case $1 in
	wrk) awk '
		/^Requests\/sec:/ { rps = $2 }
		/ requests in / { req = $1 }
		/Socket errors:/ { gsub(/,/, ""); c = $4; r = $6; w = $8; t = $10 }
		/Non-2xx or 3xx responses:/ { n = $NF }
		END { printf "%s %d %d connect=%d;read=%d;write=%d;timeout=%d;non2xx=%d\n", rps + 0, req, c + r + w + t + n, c, r, w, t, n }' "$2" ;;
	ab) awk '
		/^Requests per second:/ { rps = $4 }
		/^Complete requests:/ { req = $3 }
		/^Failed requests:/ { f = $3 }
		/^Non-2xx responses:/ { n = $3 }
		/^Write errors:/ { w = $3 }
		END { printf "%s %d %d failed=%d;write=%d;non2xx=%d\n", rps + 0, req, f + w + n, f, w, n }' "$2" ;;
	loadgen*) awk '
		function num(key,    m) {
			if (match($0, "\"" key "\": *[0-9.eE+-]+")) { m = substr($0, RSTART, RLENGTH); sub(/^[^:]*: */, "", m); return m }
			return 0
		}
		/"req_per_s"/ {
			rps = num("req_per_s"); req = num("requests")
			c = num("connect_errors"); r = num("read_errors"); t = num("timeouts"); n = num("non_2xx")
		}
		END { printf "%s %d %d connect=%d;read=%d;timeout=%d;non2xx=%d\n", rps + 0, req, c + r + t + n, c, r, t, n }' "$2" ;;
	esac
}

# run_one RUN CLIENT MODE CONNS DURATION REP: one client run, one CSV row.
# The RSS run samples VmRSS at the middle and VmHWM at the end of the window.
run_one() {
	local run=$1 client=$2 mode=$3 conns=$4 dur=$5 rep=$6
	local out=$tmp/$run-$client-$mode-$rep.out err=$tmp/$run-$client-$mode-$rep.err
	local pidfile=$tmp/client.pid margin i comm rc status=ok cpu_status=ok rss_mid="" rss_hwm=""
	client_argv "$client" "$mode" "$conns" "$dur"
	rm -f "$pidfile" "$tmp/s0" "$tmp/s1"
	# The inner sh writes its pid, then becomes the client: that pid is the
	# client itself (ip netns exec, setsid and taskset exec in place), and the
	# leader of a session of its own that cpu-sample.sh sums.
	side_argv cli setsid -w sh -c 'ulimit -n 65536 2>/dev/null; echo $$ >"$0"; exec "$@"' \
		"$pidfile" taskset -c "$CLIENT_CPUS" "${CL_ARGV[@]}"
	"${SIDE_ARGV[@]}" >"$out" 2>"$err" </dev/null &
	cl_launch=$!
	for ((i = 0; i < 200; i++)); do
		cl_pid=$(cat "$pidfile" 2>/dev/null)
		if [ -n "$cl_pid" ]; then
			comm=$(cat "/proc/$cl_pid/comm" 2>/dev/null)
			[ "$comm" = "${client%%-*}" ] && break # its binary
		fi
		kill -0 "$cl_launch" 2>/dev/null || break
		sleep 0.01
	done
	if [ "${comm:-}" != "${client%%-*}" ]; then
		stop_client
		bb_log "compare-clients: $client did not start: $(tail -n 2 "$err" | tr '\n' ' ')"
		status=no_start
	fi
	# The window: a margin after the start (connections opening), until a
	# margin before the end, on the clock of the client's start (the samples
	# take time of their own); CPU per request is a ratio of rates.
	local t_start=$EPOCHREALTIME
	# (On a loaded 2-core machine the samplers themselves start late: the
	# margins are at least 0.3 s, so a 1 s run still has a window.)
	margin=$(awk -v d="$dur" 'BEGIN { m = d / 10; if (m < 0.3) m = 0.3; if (m > 1) m = 1; print m }')
	if [ "$status" = ok ]; then
		nap_until "$t_start" "$margin"
		# /proc is the same in every namespace of the lab (they are network
		# namespaces only): sample here, without the cost of ip netns exec.
		LAB="" cpu_sample cli "$tmp/s0" "$cl_pid" || status=sample_failed
		if [ "$run" = rss ]; then
			nap_until "$t_start" "$(awk -v d="$dur" 'BEGIN { print d / 2 }')"
			rss_mid=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$cl_pid/status" 2>/dev/null)
		fi
		nap_until "$t_start" "$(awk -v d="$dur" -v m="$margin" 'BEGIN { print d - m }')"
		[ "$run" = rss ] && rss_hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$cl_pid/status" 2>/dev/null)
		LAB="" cpu_sample cli "$tmp/s1" "$cl_pid" || status=sample_failed
		# Still running at the second sample? (bash reaps its children at
		# once, so an exited client has no /proc entry left.)
		# Its req/s still counts; its CPU columns stay empty.
		[ -e "/proc/$cl_pid/stat" ] || cpu_status=ended_before_sample
		# wrk and ab stop on their own after DURATION, loadgen after its drain.
		wait "$cl_launch"
		rc=$?
		cl_launch="" cl_pid=""
	else
		rc=127
	fi
	[ "$status" = ok ] && [ "$rc" != 0 ] && status=exit_$rc

	local parsed rps=0 req=0 errs=0 detail=""
	parsed=$(parse_output "$client" "$out")
	read -r rps req errs detail <<<"$parsed"
	[ -n "$rps" ] && [ "$rps" != 0 ] || { [ "$status" = ok ] && status=no_result; rps=0; }

	local cli_cpu="" srv_cpu="" stats="window_s= proc_s= busy= srv_busy="
	if [ "$cpu_status" = ok ] && { [ "$status" = ok ] || [ "$status" = "exit_$rc" ]; }; then
		cli_cpu=$(cpu_delta "$tmp/s0" "$tmp/s1" "$CLIENT_CPUS") || cli_cpu=""
		srv_cpu=$(cpu_delta "$tmp/s0" "$tmp/s1" "$SERVER_CPU") || srv_cpu=""
	fi
	# window, CPU seconds, us per request, process busy %, core busy %, bound, server busy %
	stats=$(awk -v cli="$cli_cpu" -v srv="$srv_cpu" -v rps="$rps" 'BEGIN {
		n = split(cli, l, "\n"); for (i = 1; i <= n; i++) { split(l[i], kv, "="); C[kv[1]] = kv[2] }
		n = split(srv, l, "\n"); for (i = 1; i <= n; i++) { split(l[i], kv, "="); S[kv[1]] = kv[2] }
		w = C["window_s"] + 0
		if (w <= 0 || cli == "") { print "- - - - - - -"; exit }
		p = C["proc_s"] / w
		printf "%.3f %.3f %s %.1f %.1f %d %.1f\n", w, C["proc_s"],
			(rps > 0 ? sprintf("%.3f", p / rps * 1e6) : "-"), 100 * p, 100 - C["idle_pct"],
			(p > 0.9 || C["idle_pct"] < 10), 100 - S["idle_pct"]
	}')
	local w cpu_s us_req proc_busy core_busy bound srv_busy
	read -r w cpu_s us_req proc_busy core_busy bound srv_busy <<<"$stats"
	[ "$w" = - ] && w="" cpu_s="" us_req="" proc_busy="" core_busy="" bound="" srv_busy=""
	[ "$us_req" = - ] && us_req=""

	local row="" f
	for f in "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(meta_get git_commit)" "$host" "$(meta_get kernel)" \
		"$(meta_get cpu_model)" "$(meta_get ncpus)" "$(meta_get governor)" "$run" "$client" \
		"$(case $client in wrk) echo "$wrk_version" ;; ab) echo "$ab_version" ;; *) echo "$loadgen_version" ;; esac)" \
		"$mode" "$conns" "$rep" "$dur" nginx "$SERVER_CPU" "$CLIENT_CPUS" "$URI" "$page_bytes" "$status" "$cpu_status" \
		"$rps" "$req" "$errs" "$detail" "$w" "$cpu_s" "$us_req" "$proc_busy" "$core_busy" "$bound" "$srv_busy" \
		"$rss_mid" "$rss_hwm" "${CL_ARGV[*]}"; do
		row+="$(csv_q "$f"),"
	done
	echo "${row%,}" >>"$OUT"

	printf -v LAST_LINE '%s %s c=%s rep %s: %.0f req/s, %s us/req, process %s%% / core %s%% busy%s, server core %s%% busy, errors %s%s' \
		"$mode" "$client" "$conns" "$rep" "$rps" "${us_req:--}" "${proc_busy:--}" "${core_busy:--}" \
		"$([ "${bound:-0}" = 1 ] && echo ' [client-bound]')" "${srv_busy:--}" "${errs:-?}" \
		"$([ "$status" != ok ] && echo " [$status]")$([ "$cpu_status" != ok ] && echo " [CPU: $cpu_status]")"
	[ -n "$rss_mid" ] && LAST_LINE+=", VmRSS mid-run $rss_mid KiB, VmHWM $rss_hwm KiB"
	server_alive || bb_die "nginx died during the $client $mode run: $(tail -n 2 "$SRV_TMP/nginx-error.log" 2>/dev/null | tr '\n' ' ')"
	return 0
}

# --- the runs, interleaved ---------------------------------------------------------
# Each repetition runs every case once; the order inside each mode rotates with
# the repetition, so no client always runs first after the other mode.
KA_CLIENTS=() CLOSE_CLIENTS=()
case " $MODES " in *" keepalive "*) KA_CLIENTS=("${LOADGEN_CLIENTS[@]}" wrk) ;; esac
case " $MODES " in *" close "*) CLOSE_CLIENTS=("${LOADGEN_CLIENTS[@]}" wrk ab) ;; esac
per_rep=$((${#KA_CLIENTS[@]} + ${#CLOSE_CLIENTS[@]}))
total=$((REPS * per_rep + (RSS_CONNS > 0 ? 1 : 0)))
per_run=$((DURATION + 1))
done_runs=0 t0=$SECONDS
bb_log "compare-clients: nginx (1 worker, CPU $SERVER_CPU) serving $URI ($page_bytes B), clients on CPU $CLIENT_CPUS, $CONNS connections, $REPS x $per_rep runs of ${DURATION}s, about $(fmt_secs $((total * per_run + RSS_DURATION))); CSV: $OUT"

progress() {
	done_runs=$((done_runs + 1))
	local el=$((SECONDS - t0)) eta
	eta=$(( done_runs < total ? (total - done_runs) * el / done_runs : 0 ))
	bb_log "compare-clients: [$done_runs/$total] $LAST_LINE (ETA $(fmt_secs $eta))"
}

for ((rep = 1; rep <= REPS; rep++)); do
	for ((k = 0; k < ${#KA_CLIENTS[@]}; k++)); do
		c=${KA_CLIENTS[$(((k + rep - 1) % ${#KA_CLIENTS[@]}))]}
		run_one compare "$c" keepalive "$CONNS" "$DURATION" "$rep"; progress
		nap 0.5
	done
	for ((k = 0; k < ${#CLOSE_CLIENTS[@]}; k++)); do
		c=${CLOSE_CLIENTS[$(((k + rep - 1) % ${#CLOSE_CLIENTS[@]}))]}
		run_one compare "$c" close "$CONNS" "$DURATION" "$rep"; progress
		nap 0.5
	done
done
if [ "$RSS_CONNS" -gt 0 ]; then
	run_one rss loadgen keepalive "$RSS_CONNS" "$RSS_DURATION" 1; progress
fi

# --- the table ---------------------------------------------------------------------
cat >"$tmp/table.awk" <<'AWK'
function median(list,    a, n, i, j, t) {
	n = split(list, a, " ")
	if (n == 0) return ""
	for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return (n % 2) ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
}
function pct(list) { return list == "" ? "-" : sprintf("%.1f", median(list)) }
function lo(list,    a, n, i, m) { n = split(list, a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 < m) m = a[i] + 0; return m }
function hi(list,    a, n, i, m) { n = split(list, a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 > m) m = a[i] + 0; return m }
function ratio(what, a, b, op, target,    r, ok) {
	if (a == "" || b == "" || b + 0 == 0) { printf "  %-52s %8s   %s %.1f\n", what, "n/a", op, target; return }
	r = a / b
	ok = (op == ">=") ? (r >= target) : (r <= target)
	printf "  %-52s %8.3f   %s %.1f  %s\n", what, r, op, target, ok ? "met" : "MISSED"
}
NR == 1 { csv_header($0); next }
{
	csv_split($0, f)
	if (csv_get(f, "run") == "rss") {
		rss_mid = csv_get(f, "rss_mid_kib"); rss_hwm = csv_get(f, "rss_hwm_kib")
		rss_conns = csv_get(f, "connections"); rss_status = csv_get(f, "exit_status"); rss_err = csv_get(f, "errors")
		next
	}
	k = csv_get(f, "mode") " " csv_get(f, "client")
	if (!(k in N)) order[++nk] = k
	N[k]++
	if (csv_get(f, "exit_status") != "ok") { BAD[k]++; next }
	RPS[k] = RPS[k] " " csv_get(f, "req_per_s")
	ERR[k] += csv_get(f, "errors")
	if (csv_get(f, "client_cpu_us_per_req") == "") { NOCPU[k]++; next }
	US[k] = US[k] " " csv_get(f, "client_cpu_us_per_req")
	PB[k] = PB[k] " " csv_get(f, "client_proc_busy_pct")
	CB[k] = CB[k] " " csv_get(f, "client_core_busy_pct")
	SB[k] = SB[k] " " csv_get(f, "server_core_busy_pct")
	BOUND[k] += csv_get(f, "client_bound")
}
END {
	printf "\nClient comparison: nginx 1 worker on CPU %s, every client on CPU %s, %s (%s B), %s connections,\n", srv_cpu, cli_cpu, uri, bytes, conns
	printf "%s repetitions x %s s, interleaved; medians (min-max) of the good runs. Every run: %s\n\n", reps, dur, out
	printf "%-9s %-13s %4s %10s %23s %9s %9s %9s %9s %6s %7s\n", "mode", "client", "runs", "req/s", "(min - max)", "us/req", "proc %", "core %", "server %", "bound", "errors"
	for (i = 1; i <= nk; i++) {
		k = order[i]; split(k, m, " ")
		MED_RPS[k] = median(RPS[k]); MED_US[k] = median(US[k])
		printf "%-9s %-13s %4d %10.0f %23s %9s %9s %9s %9s %6s %7d%s%s\n", m[1], m[2], N[k] - BAD[k], MED_RPS[k],
			RPS[k] == "" ? "" : sprintf("(%.0f - %.0f)", lo(RPS[k]), hi(RPS[k])),
			MED_US[k] == "" ? "-" : sprintf("%.3f", MED_US[k]), pct(PB[k]), pct(CB[k]), pct(SB[k]),
			BOUND[k] + 0 "/" N[k] - BAD[k] - NOCPU[k], ERR[k], BAD[k] ? "  (" BAD[k] " failed runs)" : "",
			NOCPU[k] ? "  (" NOCPU[k] " runs without a CPU window)" : ""
	}
	print "\nRatios of medians (the load generator's targets)"
	# Issue 12: keep-alive CPU per request at most 0.8x wrk's, req/s at least wrk's.
	for (e = 1; e <= 2; e++) {
		lg = e == 1 ? "loadgen" : "loadgen-uring"
		if (("keepalive " lg) in N) {
			ratio("keep-alive req/s, " lg " / wrk", MED_RPS["keepalive " lg], MED_RPS["keepalive wrk"], ">=", 1.0)
			ratio("keep-alive CPU per request, " lg " / wrk", MED_US["keepalive " lg], MED_US["keepalive wrk"], "<=", 0.8)
		}
		if (("close " lg) in N) {
			ratio("close req/s, " lg " / wrk", MED_RPS["close " lg], MED_RPS["close wrk"], ">=", 1.0)
			ratio("close connections/s, " lg " / ab (no -k)", MED_RPS["close " lg], MED_RPS["close ab"], ">=", 1.2)
			ratio("close CPU per request, " lg " / wrk", MED_US["close " lg], MED_US["close wrk"], "<=", 1.0)
		}
	}
	if (("keepalive loadgen" in N) && ("keepalive loadgen-uring" in N))
		ratio("keep-alive CPU per request, uring / epoll", MED_US["keepalive loadgen-uring"], MED_US["keepalive loadgen"], "<=", 1.0)
	if (("close loadgen" in N) && ("close loadgen-uring" in N))
		ratio("close CPU per request, uring / epoll", MED_US["close loadgen-uring"], MED_US["close loadgen"], "<=", 1.0)
	if (rss_conns != "") {
		if (rss_mid == "")
			printf "  %-52s %8s   <= 64 MiB  (run %s)\n", "loadgen RSS at " rss_conns " connections", "n/a", rss_status
		else
			printf "  %-52s %8.1f   <= 64 MiB  %s  (VmHWM %.1f MiB, errors %d%s)\n", "loadgen RSS (MiB) at " rss_conns " connections",
				rss_mid / 1024, rss_mid / 1024 <= 64 ? "met" : "MISSED", rss_hwm / 1024, rss_err, rss_status == "ok" ? "" : ", " rss_status
	}
	print "\nA req/s ratio compares the clients only where the clients were the limit (bound = client-bound runs,"
	print "client core over 90% busy). Where nginx limits every client (server core near 100%, client core not)"
	print "the req/s ratios are about 1 whatever the clients cost; us/req (client process CPU per request) still compares them."
}
AWK
awk -v reps="$REPS" -v dur="$DURATION" -v conns="$CONNS" -v srv_cpu="$SERVER_CPU" -v cli_cpu="$CLIENT_CPUS" \
	-v uri="$URI" -v bytes="$page_bytes" -v out="$OUT" -f scripts/lib/csv.awk -f "$tmp/table.awk" "$OUT" ||
	bb_die "cannot summarize $OUT"
