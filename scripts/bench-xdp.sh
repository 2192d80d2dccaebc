#!/usr/bin/env bash
# httpd-xdp against httpd-epoll (and iperf3) in ONE lab, interleaved: the
# measurements of servers/xdp/COST_CENTRES.md (close mode on the tiny page:
# requests/s and server CPU per request; keep-alive on the 1 MiB page against
# what iperf3 moves over the same veth).
#
#   scripts/bench-xdp.sh close [REPS]       close mode, tiny page: req/s, server CPU/request
#   scripts/bench-xdp.sh keepalive [REPS]   keep-alive, 1 MiB page, 1 connection, vs iperf3 -R
#   scripts/bench-xdp.sh body [REPS]        page bodies in the UMEM against copied into each
#                                           frame (SERVERS "xdp-umembody xdp"): keep-alive,
#                                           1 MiB page then the corpus, CONC 10; server
#                                           process CPU per MiB sent (srv_proc_us_MiB)
#
# Environment: MTU (1500), CONC (close: 64), DURATION (5), WARMUP (1),
# SERVERS ("xdp epoll"; a path like /tmp/httpd-xdp.old runs an older build
# with the xdp options), SRV_CPU (0), CLI_CPU (1), TOPO_GRO, OUT (CSV, default
# /tmp/bench-xdp-$$.csv). Needs root, bin/loadgen, bin/httpd-*, build/pages.
# Prints one line per run (with the load average) and the medians.
set -u
BB_PROG=bench-xdp
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$BB_ROOT/scripts/lib/topology.sh"
source "$BB_ROOT/scripts/lib/metadata.sh"
source "$BB_ROOT/scripts/lib/servers.sh"
cd "$BB_ROOT" || exit 1

what=${1:-}
reps=${2:-3}
case $what in close|keepalive|body) ;; *) bb_die "usage: $0 close|keepalive|body [REPS]" ;; esac
MTU=${MTU:-1500} DURATION=${DURATION:-5} WARMUP=${WARMUP:-1}
SRV_CPU=${SRV_CPU:-0} CLI_CPU=${CLI_CPU:-1}
if [ "$what" = body ]; then SERVERS=${SERVERS:-"xdp-umembody xdp"} PAGES="1m corpus"
else SERVERS=${SERVERS:-"xdp epoll"} PAGES=-; fi
OUT=${OUT:-/tmp/bench-xdp-$$.csv}
[ "$what" = keepalive ] && SERVERS="$SERVERS iperf3"
LAB=bx$$
TOPO_CLIENT_TX_CSUM=off TOPO_CLIENT_TXREHASH=0 topo_up "$LAB" "$MTU" 1 || bb_die "topo_up failed"
SRV_ADDR=$TOPO_SRV_ADDR SRV_PORT=8080 SRV_TMP=$(mktemp -d /tmp/bench-xdp-server.XXXXXX)
SRV_LOG=$SRV_TMP/server.log SRV_LAUNCH=""
srv_pid=""
cleanup() { server_stop; [ -n "$srv_pid" ] && kill -TERM "$srv_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$SRV_TMP"; topo_down "$LAB"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

start_server() { # name (or a binary path) -> srv_pid, once it is ready
	server_start "$1" 1 "$SRV_CPU" "$BB_ROOT/build/pages" &&
		server_wait_ready "$1" 10 || bb_die "$1: $SRV_ERROR"
	srv_pid=$SRV_PID
}
stop_server() {
	server_stop; srv_pid=""
	grep -E '^(xsk|tcp) ' "$SRV_LOG" | cut -c1-400 >/tmp/bench-xdp-$$.last-stats || true
}

col() { # csv-file column-name -> value of the last row
	awk -F, -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next } END { print $k }' "$1"
}

BENCH_COMMIT=$(meta_row_fields | sed -n 's/^meta_git_commit=//p')

run_loadgen() { # name [page set, body mode] -> one line of results
	local name=$1 page conc mode csv=/tmp/bench-xdp-$$.one.csv target=()
	if [ "$what" = close ]; then page=tiny/index.html conc=${CONC:-64} mode=close
	elif [ "$what" = keepalive ]; then page=1m/index.html conc=${CONC:-1} mode=keepalive
	else page=$2/ conc=${CONC:-10} mode=keepalive; fi
	# A page set's URI list (corpus: 500 pages, picked at random), else one page.
	if [ "$what" = body ] && [ "$2" = corpus ]; then
		# The server serves build/pages whole: the list's paths get the set's folder.
		sed 's|^|/corpus|' "$BB_ROOT/build/pages/corpus.uris" >/tmp/bench-xdp-$$.corpus.uris
		target=(--url "http://$TOPO_SRV_ADDR:8080/" --paths /tmp/bench-xdp-$$.corpus.uris)
	elif [ "$what" = body ]; then
		target=(--url "http://$TOPO_SRV_ADDR:8080/$2/index.html")
	else
		target=(--url "http://$TOPO_SRV_ADDR:8080/$page")
	fi
	rm -f "$csv"
	topo_cli "$LAB" bin/loadgen "${target[@]}" --mode "$mode" \
		--connections "$conc" --threads 1 --cpus "$CLI_CPU" --duration "$DURATION" --warmup "$WARMUP" \
		--timeout 2 --no-progress --quiet --server-cpus "$SRV_CPU" --server-pid "$srv_pid" \
		--label "server=$name" --label "mtu=$MTU" --label "workers=1" --label "queues=1" \
		--label "page_set=${page%%/*}" --label "commit=$BENCH_COMMIT" --label "bench=$what" \
		--csv "$csv" >/dev/null 2>&1 || { echo "$name loadgen-failed"; return; }
	[ -s "$OUT" ] || head -n 1 "$csv" >"$OUT"
	tail -n 1 "$csv" >>"$OUT"
	# Per MiB of responses (bodies and their ~300 bytes of headers): the
	# server process's CPU and the server cores' work.
	local per_mib
	per_mib=$(awk -v p="$(col "$csv" server_proc_cpu_us_per_req)" -v c="$(col "$csv" server_cpu_us_per_req)" \
		-v r="$(col "$csv" requests)" -v b="$(col "$csv" bytes)" \
		'BEGIN { m = b / 1048576; if (m > 0) printf "srv_proc_us_MiB=%.1f srv_us_MiB=%.1f", p * r / m, c * r / m }')
	printf '%s rps=%s MBps=%s srv_us_req=%s srv_proc_us_req=%s %s srv_busy=%s cli_busy=%s errors=%s\n' \
		"$name${2:+/$2}" \
		"$(col "$csv" req_per_s)" "$(awk -v g="$(col "$csv" gbit_per_s)" 'BEGIN { printf "%.1f", g * 125 }')" \
		"$(col "$csv" server_cpu_us_per_req)" "$(col "$csv" server_proc_cpu_us_per_req)" "$per_mib" \
		"$(awk -v i="$(col "$csv" server_idle_pct)" 'BEGIN { printf "%.0f", 100 - i }')" \
		"$(col "$csv" client_busy_pct)" \
		"$(( $(col "$csv" connect_errors) + $(col "$csv" read_errors) + $(col "$csv" timeouts) + $(col "$csv" non_2xx) ))"
}

run_iperf3() {
	local j=/tmp/bench-xdp-$$.iperf.json
	ip netns exec "$LAB-srv" taskset -c "$SRV_CPU" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	srv_pid=$!
	sleep 0.5
	topo_cli "$LAB" taskset -c "$CLI_CPU" iperf3 -c "$TOPO_SRV_ADDR" -p 5201 -R -t "$DURATION" \
		-O "$WARMUP" -J >"$j" 2>&1
	wait "$srv_pid"; srv_pid=""
	# Server (sender) CPU share from iperf3's own accounting: remote = the sender with -R.
	python3 - "$j" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
e = d["end"]
bps = e["sum_received"]["bits_per_second"]
cpu = e["cpu_utilization_percent"]
print("iperf3 MBps=%.1f sender_cpu=%.0f%% receiver_cpu=%.0f%% retransmits=%s" % (
    bps / 8e6, cpu["remote_total"], cpu["host_total"], e["sum_sent"].get("retransmits", "?")))
PY
}

for rep in $(seq "$reps"); do
	for pages in $PAGES; do
		[ "$pages" = - ] && pages=""
		for s in $SERVERS; do
			la=$(cut -d' ' -f1-3 /proc/loadavg)
			if [ "$s" = iperf3 ]; then
				line=$(run_iperf3)
			else
				start_server "$s"
				line=$(run_loadgen "$s" $pages)
				stop_server
			fi
			echo "rep=$rep mtu=$MTU load=[$la] $line"
			case $s in *xdp*) sed 's/^/    /' /tmp/bench-xdp-$$.last-stats | cut -c1-300 ;; esac
		done
	done
done | tee /tmp/bench-xdp-$$.log
echo "medians:"
awk '/^rep=/ { for (i = 1; i <= NF; i++) if ($i ~ /\]$/) name = $(i + 1)
	for (i = 1; i <= NF; i++) if ($i ~ /^(rps|MBps|srv_us_req|srv_proc_us_req|srv_proc_us_MiB|srv_us_MiB)=/) {
		split($i, kv, "="); key = name " " kv[1]; v[key, ++n[key]] = kv[2] + 0 } }
	END { for (k in n) { m = n[k]; for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++)
			if (v[k, b] < v[k, a]) { t = v[k, a]; v[k, a] = v[k, b]; v[k, b] = t }
		printf "  %-36s %s\n", k, v[k, int((m + 1) / 2)] } }' /tmp/bench-xdp-$$.log | sort
rm -f /tmp/bench-xdp-$$.*
echo "rows: $OUT"
