#!/usr/bin/env bash
# One measured run of one point: a fresh lab, one server with W workers pinned
# to the server cores, bin/loadgen pinned to the client cores with a warm-up,
# per-CPU /proc/stat and the server's own CPU time sampled around the measured
# window, the server stopped, one CSV row appended.
#
#   scripts/run-point.sh --server NAME --csv FILE [options]
#
#   --server NAME        epoll tpc uring xdp (bin/httpd-NAME) | nginx | lighttpd |
#                        epoll-busy uring-busy xdp-busy (busy polling, docs/sweeps.md) |
#                        a path to a build of ours (recorded as that path)
#   --workers W          server workers = server cores, on CPUs 0..W-1 (1)
#   --mode M             keepalive | close (keepalive)
#   --concurrency C      connections (100)
#   --rate R             open loop at R req/s; 0 = closed loop (0)
#   --pageset SET        tiny 10k 150k 1m corpus (build/pages/SET) or a folder (corpus)
#   --mtu N --queues Q   lab link MTU (1500) and veth queue count (1; httpd-xdp: one
#                        per worker; with several, the client's txrehash off); a real NIC
#                        gets one queue per server core (the queues column says so)
#   --duration S --warmup S --timeout S   measured seconds (5), warm-up (1), request timeout
#                        (2, or C/200 s above 400 connections: a closed loop of C
#                        connections queues C/throughput; a 1 MiB page at 1000
#                        connections can wait over 2 s without anything failing)
#   --rep N              repetition number, recorded (1)
#   --csv FILE           append the row here (header written when new)
#   --failures FILE      failed runs (default: FILE with -failures.csv)
#   --tag K=V            an extra column K (e.g. sweep=cores); repeatable
#   --slo SLO            a loadgen --search for the capacity under SLO (e.g. p99=2ms)
#                        instead of one window: a row per step and a knee row
#                        (docs/csv-schema.md); --rate is then ignored
#   --search-args ARGS   more loadgen options for the search (e.g. "--search-start 5000")
#
# Environment: SERVER_HOST / CLIENT_HOST / SERVER_ADDR / SERVER_IFNAME /
# CLIENT_IFNAME to run on two hosts (docs/sweeps.md; the server's NIC is set up
# for the point by scripts/lib/nic-setup.sh and restored at the end, NIC_SETUP=0
# leaves it alone, NIC_STATE names a state its caller restores: docs/real-hardware.md);
# CLIENT_HOSTS="a b c" for several client hosts (each runs loadgen with its share
# of the connections and of the rate, all from one start, CLIENT_START_DELAY
# seconds ahead (2); loadgen merge makes the one row), CLIENT_CORES, CLIENT_CPUS,
# TOPO_GRO, TOPO_RPS, TOPO_NAPI (inline), TOPO_NAPI_DEFER_IRQS, TOPO_GRO_FLUSH_TIMEOUT
# (recorded as labels: what the server's interface has), LAB_CLIENT_TX_CSUM (off), SRV_PORT (8080),
# LOADGEN (bin/loadgen), LOADGEN_ARGS, SERVER_ARGS, READY_TIMEOUT (20),
# PROFILE_OUT (a report file: record the server cores under perf, see
# scripts/profile.sh), TIMELINE (1: also the run over time, loadgen --timeline
# at TIMELINE_INTERVAL, default 1 s, appended to FILE-timelines/POINT.csv beside
# the CSV, where `make plots` finds it; with CLIENT_HOSTS, the first host's share).
#
# A search's rows: the server's CPU columns are loadgen's own per step (same
# host); across two hosts, and for server_proc_cpu_us_per_req, they stay
# empty (this script samples one window, a search has many).
#
# Exit: 0 when a row was written with status ok (a search: when it wrote its knee row); 3 when the run failed and was
# recorded in the failures file (a run that completed with status errors or
# stalled has its row written too, so the figures can show it as failed);
# 1 on bad usage, 130 when interrupted.
# Interrupted (INT/TERM) or not, it leaves no server, lab or XDP program behind.
set -u
BB_PROG=run-point
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$BB_ROOT/scripts/lib/topology.sh"
source "$BB_ROOT/scripts/lib/cpustat.sh"
source "$BB_ROOT/scripts/lib/servers.sh"
source "$BB_ROOT/scripts/lib/metadata.sh"
source "$BB_ROOT/scripts/lib/profile.sh"
cd "$BB_ROOT" || exit 1

server="" workers=1 mode=keepalive conc=100 rate=0 pageset=corpus mtu=1500 queues=""
duration=5 warmup=1 timeout="" rep=1 csv="" failures="" tags=() slo="" search_args=""
while [ $# -gt 0 ]; do
	case $1 in
	--server) server=$2 ;;
	--workers) workers=$2 ;;
	--mode) mode=$2 ;;
	--concurrency) conc=$2 ;;
	--rate) rate=$2 ;;
	--pageset) pageset=$2 ;;
	--mtu) mtu=$2 ;;
	--queues) queues=$2 ;;
	--duration) duration=$2 ;;
	--warmup) warmup=$2 ;;
	--timeout) timeout=$2 ;;
	--rep) rep=$2 ;;
	--csv) csv=$2 ;;
	--failures) failures=$2 ;;
	--tag) tags+=("$2") ;;
	--slo) slo=$2 ;;
	--search-args) search_args=$2 ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) bb_die "unknown option '$1' (--help)" ;;
	esac
	[ $# -ge 2 ] || bb_die "option $1 needs a value"
	shift 2
done
[ -n "$server" ] || bb_die "--server is required"
[ -n "$csv" ] || bb_die "--csv is required"
case $mode in keepalive|close) ;; *) bb_die "--mode must be keepalive or close, not '$mode'" ;; esac
[ -n "$queues" ] || queues=$(plan_queues "$workers" "$server") # a real NIC's: set per point below
for v in workers conc mtu queues rep; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || bb_die "--$v must be a positive integer, not '${!v}'"
done
[ -n "$timeout" ] || timeout=$(( conc > 400 ? conc / 200 : 2 ))
for v in rate duration warmup timeout; do
	[[ ${!v} =~ ^[0-9]+(\.[0-9]+)?$ ]] || bb_die "--$v must be a number, not '${!v}'"
done
[ -n "$failures" ] || failures=${csv%.csv}-failures.csv
[ -n "$slo" ] && [ -n "${PROFILE_OUT:-}" ] && bb_die "PROFILE_OUT profiles one window; a --slo search has many"
[ -z "$search_args" ] || [ -n "$slo" ] || bb_die "--search-args needs --slo"
client_hosts_check
[ -n "$slo" ] && [ -n "${CLIENT_HOSTS:-}" ] && bb_die "a --slo search runs from one client host, not CLIENT_HOSTS"
[ "$(id -u)" = 0 ] || is_remote || bb_die "the local lab needs root (network namespaces)"

LAB_NAME=bbp$$ # LAB (the namespaces run_side uses) is set once the lab is up
LAB=""
SRV_PORT=${SRV_PORT:-8080}
SRV_TMP=/tmp/bypassbench-$LAB_NAME-srv
CLI_TMP=/tmp/bypassbench-$LAB_NAME-cli
tmp=$(mktemp -d /tmp/bypassbench-point.XXXXXX) || exit 1
SRV_LOG=$tmp/server.log
SRV_PID="" SRV_LAUNCH="" lg_pids=() nap_pid="" perf_pid="" lab_up=0 interrupted=0
nic_state="" # set while this script owns a NIC set-up to restore
mapfile -t hosts < <(client_hosts)
multi=0
[ -n "${CLIENT_HOSTS:-}" ] && multi=1
# on_client I cmd...: on client host I (0-based; the one client side without
# CLIENT_HOSTS). for_clients cmd...: on each, stopping at the first failure.
on_client() {
	local i=$1
	shift
	if [ "$multi" = 1 ]; then CLIENT_HOST=${hosts[$i]} run_side cli "$@"; else run_side cli "$@"; fi
}
client_argv() { # like side_argv cli, for client host I
	local i=$1
	shift
	if [ "$multi" = 1 ]; then CLIENT_HOST=${hosts[$i]} side_argv cli "$@"; else side_argv cli "$@"; fi
}
for_clients() {
	local i n=1
	[ "$multi" = 1 ] && n=${#hosts[@]}
	for ((i = 0; i < n; i++)); do on_client "$i" "$@" || return 1; done
}

# A sleep that a trapped signal interrupts at once.
nap() { sleep "$1" & nap_pid=$!; wait "$nap_pid"; nap_pid=""; }

cleanup() {
	[ -n "$nap_pid" ] && kill "$nap_pid" 2>/dev/null
	[ -n "$perf_pid" ] && { kill -INT "$perf_pid" 2>/dev/null; wait "$perf_pid" 2>/dev/null; }
	if [ ${#lg_pids[@]} -gt 0 ]; then
		local i
		for i in "${!lg_pids[@]}"; do
			on_client "$i" sh -c 'p=$(cat "$1" 2>/dev/null) && kill -TERM "$p"' sh "$CLI_TMP/loadgen$i.pid" 2>/dev/null
			kill -TERM "${lg_pids[$i]}" 2>/dev/null
			wait "${lg_pids[$i]}" 2>/dev/null
		done
		lg_pids=()
	fi
	server_stop 2>/dev/null
	if [ -n "$nic_state" ]; then
		run_side srv scripts/lib/nic-setup.sh restore --state "$nic_state" ||
			bb_log "run-point: the NIC's settings are not all restored: run scripts/lib/nic-setup.sh restore --state $nic_state on the server host"
		nic_state=""
	fi
	if [ "$lab_up" = 1 ]; then
		topo_down "$LAB_NAME"
		lab_up=0
		LAB=""
	fi
	if is_remote; then
		run_side srv rm -rf "$SRV_TMP" 2>/dev/null
		for_clients rm -rf "$CLI_TMP" 2>/dev/null
	else
		rm -rf "$SRV_TMP" "$CLI_TMP"
	fi
	rm -rf "$tmp"
}
on_signal() { interrupted=1; bb_log "run-point: interrupted, cleaning up"; trap - INT TERM; cleanup; exit 130; }
trap on_signal INT TERM HUP
trap cleanup EXIT

fail() { # status reason
	local status=$1 reason=$2
	[ "$interrupted" = 1 ] && exit 130
	[ -n "$slo" ] && reason="search for the capacity under $slo: $reason"
	bb_log "run-point: $server $mode w=$workers c=$conc rate=$rate $pageset mtu=$mtu rep=$rep: FAILED ($status): $reason"
	if [ ! -s "$failures" ]; then
		mkdir -p "$(dirname "$failures")"
		echo "timestamp,host,server,workers,server_cpus,mode,connections,target_rate,page_set,mtu,queues,repeat,status,reason" >"$failures"
	fi
	printf '%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ),$(hostname),$server,$workers,$server_cpus,$mode,$conc,$rate,$pageset,$mtu,$queues,$rep,$status,\"${reason//\"/\'}\"" >>"$failures"
	exit 3
}

# --- where things run -------------------------------------------------------
nclients=1
[ "$multi" = 1 ] && nclients=${#hosts[@]}
cpu_split
server_cpus=$(server_cpus_for "$workers")
if [ "$workers" -gt "$MAX_SERVER_CORES" ]; then
	fail too_few_cores "$workers server cores asked, $MAX_SERVER_CORES available beside the client's $CLIENT_CORES"
fi
client_threads=$(cpu_list_count "$CLIENT_CPUS")

reason=$(server_check "$server") || fail not_built "$reason"
LOADGEN=${LOADGEN:-bin/loadgen}
for_clients test -x "$LOADGEN" 2>/dev/null || fail not_built "$LOADGEN is not built (on every client host)"
if [ "$multi" = 1 ]; then
	# The hosts' files are merged here.
	[ -x "$LOADGEN" ] || fail not_built "$LOADGEN is not built here, where loadgen merge runs"
	[ "$conc" -ge "$((nclients * client_threads))" ] ||
		fail too_few_connections "$conc connections cannot give each of $nclients client hosts' $client_threads threads one"
fi
pdir=$(pageset_dir "$pageset")
run_side srv test -d "$pdir" || fail no_pages "page set '$pageset' not found at $pdir (make corpus)"
index=$(pageset_index "$pageset" "$tmp/uris") || fail no_pages "page set '$pageset' has no pages"
SRV_PROBE_URI=$(head -n 1 "$index")

tx_csum=${LAB_CLIENT_TX_CSUM:-off}
if is_remote; then
	SRV_ADDR=${SERVER_ADDR:-}
	[ -n "$SRV_ADDR" ] || bb_die "SERVER_HOST/CLIENT_HOST need SERVER_ADDR (the server's address as the client reaches it)"
	tx_csum=host
	# The MTU of a point is set on both NICs, or at least checked on the server's.
	[ -n "${SERVER_IFNAME:-}" ] || bb_die "SERVER_HOST/CLIENT_HOST need SERVER_IFNAME (the server's NIC)"
	if [ -n "${CLIENT_IFNAME:-}" ]; then
		run_side srv ip link set dev "$SERVER_IFNAME" mtu "$mtu" &&
			for_clients ip link set dev "$CLIENT_IFNAME" mtu "$mtu" ||
			fail mtu "cannot set MTU $mtu on $SERVER_IFNAME/$CLIENT_IFNAME"
	else
		mtu_now=$(run_side srv cat "/sys/class/net/$SERVER_IFNAME/mtu" 2>/dev/null)
		[ "${mtu_now:-0}" = "$mtu" ] || fail mtu "MTU $mtu asked, $SERVER_IFNAME is at ${mtu_now:-unknown}; set CLIENT_IFNAME to let the scripts change both ends"
	fi
	# The NIC for this point: a queue per server core, its IRQ and XPS on
	# that core, RSS on the 4-tuple, irqbalance stopped (docs/real-hardware.md).
	if [ "${NIC_SETUP:-1}" = 0 ]; then
		nic_labels=nic_setup=off
	else
		state=${NIC_STATE:-}
		if [ -z "$state" ]; then
			state=/tmp/bypassbench-nic-$SERVER_IFNAME.state
			nic_state=$state
		fi
		busy=()
		server_is_busy "$server" && busy=(--busy "${TOPO_NAPI_DEFER_IRQS:-2}:${TOPO_GRO_FLUSH_TIMEOUT:-200000}")
		nic_labels=$(run_side srv scripts/lib/nic-setup.sh apply --ifname "$SERVER_IFNAME" --state "$state" \
			--cpus "$server_cpus" "${busy[@]}" 2>"$tmp/nic.log") ||
			fail nic "$(grep . "$tmp/nic.log" | tail -n 1)"
		if [ "$nic_labels" != nic_setup=virtual ]; then
			nic_labels=$(printf 'nic_setup=on\n%s' "$nic_labels")
			queues=$(plan_queues "$workers")
		fi
	fi
else
	SRV_ADDR=$TOPO_SRV_ADDR
	lab_up=1
	# A busy-polling variant gets the lab busy polling needs, unless set:
	# GRO on (veth then receives through NAPI, whose context is what gets
	# polled), and the kernel documentation's starting point for keeping
	# interrupts off while the server polls.
	if server_is_busy "$server"; then
		: "${TOPO_GRO:=on}" "${TOPO_NAPI_DEFER_IRQS:=2}" "${TOPO_GRO_FLUSH_TIMEOUT:=200000}"
	fi
	# On veth the client's tx queue is the server's rx queue: with several, a
	# flow the client rehashed after a timeout would reach another worker's
	# queue (httpd-xdp's stacks are per queue).
	[ "$queues" -gt 1 ] && export TOPO_CLIENT_TXREHASH=${TOPO_CLIENT_TXREHASH:-0}
	TOPO_CLIENT_TX_CSUM=$tx_csum topo_up "$LAB_NAME" "$mtu" "$queues" >"$tmp/topo.log" 2>&1 ||
		fail lab "topo_up failed: $(tr '\n' ' ' <"$tmp/topo.log")"
	LAB=$LAB_NAME
fi
for ((i = 0; i < nclients; i++)); do
	on_client "$i" mkdir -p "$CLI_TMP" && on_client "$i" sh -c 'cat > "$1"' sh "$CLI_TMP/paths" <"$index" ||
		fail client "cannot write the URI list on the client side${hosts[$i]:+ ($i: ${hosts[$i]})}"
done

# --- the server -----------------------------------------------------------------
server_start "$server" "$workers" "$server_cpus" "$pageset" || fail server_start "$SRV_ERROR"
server_wait_ready "$server" "${READY_TIMEOUT:-20}" || fail server_start "$SRV_ERROR"
napi=${TOPO_NAPI:-inline}
if is_remote; then
	napi=host
else
	topo_pin_napi "$LAB" "$server_cpus" "$CLIENT_CPUS" 2>"$tmp/napi.log" ||
		fail lab "$(tr '\n' ' ' <"$tmp/napi.log")"
fi

# --- the load ---------------------------------------------------------------------
# The row is loadgen's (docs/csv-schema.md): what this script knows goes in as
# labels; what it measures itself is filled in after the run (below).
# The CSV's server: httpd-NAME for ours, the path itself for a binary given
# by path (an A/B of two builds), nginx or lighttpd as they are.
srv_name=$server
case $server in */*) ;; *) server_is_ours "$server" && srv_name=httpd-$server ;; esac
if [ -n "${BB_META_FIELDS:-}" ]; then meta=$BB_META_FIELDS; else meta=$(meta_row_fields); fi
meta_get() { printf '%s\n' "$meta" | sed -n "s/^meta_$1=//p" | head -n 1; }
lg=("$LOADGEN" --threads "$client_threads" --cpus "$CLIENT_CPUS" --connections "$conc"
	--mode "$mode" --duration "$duration" --warmup "$warmup" --timeout "$timeout"
	--paths "$CLI_TMP/paths" --url "http://$SRV_ADDR:$SRV_PORT/" --no-progress
	--label "server=$srv_name" --label "workers=$workers" --label "server_cpus=$server_cpus"
	--label "mtu=$mtu" --label "queues=$queues" --label "gro=${TOPO_GRO:-default}" --label "rps=${TOPO_RPS:-0}" --label "napi=$napi"
	--label "page_set=$pageset" --label "repeat=$rep" --label "commit=$(meta_get git_commit)"
	--label "host=$(meta_get host)" --label "kernel=$(meta_get kernel)" --label "cpu_model=$(meta_get cpu_model)"
	--label "client_tx_csum=$tx_csum")
for t in "${tags[@]}"; do lg+=(--label "$t"); done
# nginx's TCP_CORK around sendfile changes its figures by a quarter (servers.sh).
[ "$server" = nginx ] && lg+=(--label "nginx_tcp_nopush=${NGINX_TCP_NOPUSH:-off}")
while read -r t; do [ -n "$t" ] && lg+=(--label "$t"); done <<<"${nic_labels:-}"
# What busy polling depends on, as the server's interface has it (the lab's
# TOPO_NAPI_DEFER_IRQS / TOPO_GRO_FLUSH_TIMEOUT, or a real NIC's settings).
srv_if=${SERVER_IFNAME:-$TOPO_SRV_IF}
for knob in napi_defer_hard_irqs gro_flush_timeout; do
	v=$(run_side srv cat "/sys/class/net/$srv_if/$knob" 2>/dev/null)
	lg+=(--label "$knob=${v:-unknown}")
done
# In the lab loadgen sees the server's cores too and samples them over its
# exact window; across two hosts this script samples them instead.
same_host=0
if ! is_remote || { [ "$multi" = 0 ] && [ "$(side_host cli)" = "$(side_host srv)" ]; }; then
	same_host=1
	lg+=(--server-cpus "$server_cpus")
fi
if [ -n "$slo" ]; then
	# shellcheck disable=SC2206
	lg+=(--slo "$slo" --search $search_args)
elif [ "$rate" != 0 ]; then
	lg+=(--rate "$rate")
fi
if [ "${TIMELINE:-0}" = 1 ]; then
	run_side cli rm -f "$CLI_TMP/timeline.csv"
	lg+=(--timeline "$CLI_TMP/timeline.csv" --interval "${TIMELINE_INTERVAL:-1}")
fi
# shellcheck disable=SC2206
lg+=(${LOADGEN_ARGS:-})
# loadgen appends its row to a fresh file on the client side; we read it back.
# Several client hosts: each writes its histograms (--hist-out) instead, sent
# back on ssh's stdout, and loadgen merge makes the row here from them. Each
# takes its share of the load (--share I/N) and all start at the same time
# (--start-at), far enough ahead for every ssh to be up and loadgen ready.
lead=0
if [ "$multi" = 1 ]; then
	lead=${CLIENT_START_DELAY:-2}
	[[ $lead =~ ^[0-9]+(\.[0-9]+)?$ ]] || bb_die "CLIENT_START_DELAY must be seconds, not '$lead'"
	start_at=$(awk -v now="$(date +%s.%N)" -v lead="$lead" 'BEGIN { printf "%.3f", now + lead }')
fi
for ((i = 0; i < nclients; i++)); do
	if [ "$multi" = 1 ]; then
		out_opt=--hist-out
		out=$CLI_TMP/hist$i
		share=(--share "$((i + 1))/$nclients" --start-at "$start_at")
	else
		out_opt=--csv
		out=$CLI_TMP/run.csv
		share=()
	fi
	client_argv "$i" sh -c 'out=$1 pidf=$2 opt=$3; shift 3; rm -f "$out"; "$@" "$opt" "$out" >&2 & echo $! >"$pidf"; wait $!; rc=$?; cat "$out" 2>/dev/null; exit $rc' \
		sh "$out" "$CLI_TMP/loadgen$i.pid" "$out_opt" "${lg[@]}" "${share[@]}"
	"${SIDE_ARGV[@]}" >"$tmp/loadgen$i.out" 2>"$tmp/loadgen$i.log" &
	lg_pids[$i]=$!
done

# The server side's cores and the server's processes (its whole session:
# nginx's and lighttpd's workers are processes), sampled inside the measured
# window: after the warm-up plus a margin for loadgen's start, until a margin
# before its end. CPU per request is a ratio of rates, so the window need not
# match loadgen's exactly.
window=$(awk -v d="$duration" 'BEGIN { d -= 0.4; print (d > 0.1 ? d : 0.1) }')
[ "$multi" = 1 ] && nap "$(awk -v s="$start_at" -v now="$(date +%s.%N)" 'BEGIN { d = s - now; print (d > 0 ? d : 0) }')"
[ -z "$slo" ] && nap "$warmup" && nap 0.2
cpu_sample srv "$tmp/srv.0" "$SRV_PID" || fail sample "cannot sample /proc/stat on the server side"
if [ -n "$slo" ]; then
	: # a search: many windows, loadgen samples each; nothing to profile here
elif [ -n "${PROFILE_OUT:-}" ]; then
	# scripts/profile.sh: the server cores under perf for the window. cpu-clock
	# is a software event, so it works where hardware counters do not (VMs).
	run_side srv perf record -q -e cpu-clock -F "${PROFILE_FREQ:-999}" -g -C "$server_cpus" \
		-o "$SRV_TMP/perf.data" -- sleep "$window" >"$tmp/perf.log" 2>&1 &
	perf_pid=$!
fi
[ -z "$slo" ] && nap "$window"
[ -z "$slo" ] && { cpu_sample srv "$tmp/srv.1" "$SRV_PID" || fail sample "cannot sample /proc/stat on the server side"; }
lg_rc=0
for i in "${!lg_pids[@]}"; do
	wait "${lg_pids[$i]}"
	rc=$?
	[ "$lg_rc" = 0 ] && [ "$rc" != 0 ] && lg_rc=$rc lg_failed=$i
done
lg_pids=()
[ -n "$slo" ] && { cpu_sample srv "$tmp/srv.1" "$SRV_PID" || fail sample "cannot sample /proc/stat on the server side"; }
# Who kept the TIME_WAIT of close mode (docs/csv-schema.md); httpd-xdp keeps
# its own, outside the kernel's tables. Several client hosts: their sum.
timewait_count() { run_side "$1" ss -Htan state time-wait 2>/dev/null | wc -l; }
tw_cli=0
for ((i = 0; i < nclients; i++)); do
	tw_cli=$((tw_cli + $(on_client "$i" ss -Htan state time-wait 2>/dev/null | wc -l)))
done
tw_srv=""
[ "$server" = xdp ] || tw_srv=$(timewait_count srv)
if [ -n "${PROFILE_OUT:-}" ]; then
	wait "$perf_pid" || fail profile "perf record failed: $(tail -n 3 "$tmp/perf.log" | tr '\n' ' ')"
	perf_pid=""
fi

# A server that died or misbehaved during the run is a failure of this point.
status=ok
server_alive || status=server_died
server_stop
[ "$status" = ok ] && [ -n "$SRV_ERROR" ] && status=server_hung
[ "$status" = ok ] && [ "$SRV_EXIT" != 0 ] && status=server_exit_$SRV_EXIT

if [ "$multi" = 1 ]; then
	if [ "$lg_rc" = 0 ]; then
		hist_files=()
		for ((i = 0; i < nclients; i++)); do hist_files+=("$tmp/loadgen$i.out"); done
		"$LOADGEN" merge --quiet --csv "$tmp/loadgen.csv" --label "client_hosts=$(client_hosts | paste -sd + -)" \
			"${hist_files[@]}" >"$tmp/merge.log" 2>&1 ||
			fail loadgen "loadgen merge failed: $(tail -n 3 "$tmp/merge.log" | tr '\n' ' ')"
		cat "$tmp/merge.log" >&2
	fi
	lg_log=$tmp/loadgen${lg_failed:-0}.log
	lg_who=" on ${hosts[${lg_failed:-0}]}"
else
	mv "$tmp/loadgen0.out" "$tmp/loadgen.csv"
	lg_log=$tmp/loadgen0.log lg_who=""
fi
if [ "$lg_rc" != 0 ] || [ "$(wc -l <"$tmp/loadgen.csv")" -lt 2 ]; then
	fail loadgen "loadgen$lg_who exit $lg_rc: $(tail -n 3 "$lg_log" | tr '\n' ' ') (server: $status $(tail -n 2 "$SRV_LOG" | tr '\n' ' '))"
fi

# The run over time (TIMELINE=1), one file per point, its repetitions appended
# (each run has its own run_start): FILE-timelines/POINT.csv.
if [ "${TIMELINE:-0}" = 1 ]; then
	tl_name=${srv_name##*/}-$mode-w$workers-c$conc-r$rate-${pageset##*/}-mtu$mtu-q$queues
	for t in "${tags[@]}"; do tl_name+=-${t//[^A-Za-z0-9._=-]/_}; done
	tl_file=${csv%.csv}-timelines/${tl_name//=/-}.csv
	mkdir -p "${tl_file%/*}"
	if run_side cli cat "$CLI_TMP/timeline.csv" >"$tmp/timeline.csv" 2>/dev/null && [ -s "$tmp/timeline.csv" ]; then
		# Never mix column sets in one file (as for the CSV below).
		[ -s "$tl_file" ] && [ "$(head -n 1 "$tl_file")" != "$(head -n 1 "$tmp/timeline.csv")" ] &&
			tl_file=${tl_file%.csv}-$(head -n 1 "$tmp/timeline.csv" | cksum | cut -d' ' -f1).csv
		if [ -s "$tl_file" ]; then tail -n +2 "$tmp/timeline.csv" >>"$tl_file"; else cat "$tmp/timeline.csv" >"$tl_file"; fi
	else
		bb_log "run-point: no timeline from loadgen (TIMELINE=1)"
	fi
fi

# --- the row ----------------------------------------------------------------------
srv_cpu=$(cpu_delta "$tmp/srv.0" "$tmp/srv.1" "$server_cpus") || fail sample "server cores: $srv_cpu"
srv_requests=$(printf '%s\n' "$SRV_STATS" | sed -n 's/.*[ ]requests=\([0-9]*\).*/\1/p')
{
	echo "$srv_cpu" | sed 's/^/srv_/'
	echo "same_host=$same_host"
	echo "status=$status"
	echo "tw_cli=$tw_cli"
	echo "tw_srv=$tw_srv"
	echo "timeout_s=$timeout"
	echo "srv_requests=$srv_requests"
	echo "search=$([ -n "$slo" ] && echo 1 || echo 0)"
	# What the kernel dropped before an engine saw it (httpd-xdp: the AF_XDP
	# socket's XDP_STATISTICS): kept in the row's labels, so a run that lost
	# frames is visible in the CSV.
	printf 'srv_kernel_drops=%s\n' "$(printf '%s\n' "$SRV_STATS" | tr ' ' '\n' |
		grep -E '^xdp_[a-z_]+=[0-9]+$' | paste -sd ';' -)"
} >"$tmp/fields"
head -n 1 "$tmp/loadgen.csv" >"$tmp/header"

cat >"$tmp/merge.awk" <<'AWK'
# Fill in, by name, what loadgen could not know. The header stays loadgen's.
NR == FNR { k = substr($0, 1, index($0, "=") - 1); F[k] = substr($0, index($0, "=") + 1); next }
FNR == 1 { csv_header($0); next }
{ rows[++nrows] = $0 }
function set(name, value) { if (name in COL) f[COL[name]] = value }
function fill(name, value) { if ((name in COL) && f[COL[name]] == "") f[COL[name]] = value }
function label(key, value,    l) {
	if (value == "") return
	l = csv_get(f, "labels")
	set("labels", l (l == "" ? "" : ";") key "=" value)
}
END { for (n = 1; n <= nrows; n++) merge(rows[n]) }
# A search's rows (one per step) each get what is known per run; the
# server's CPU as this script samples it covers the whole search, not a row.
function merge(row,    rps, per, l, r, i) {
	delete f
	csv_split(row, f)
	if (F["search"] + 0 == 1) F["same_host"] = 1 # keep the two-host CPU fills out
	rps = csv_get(f, "req_per_s") + 0
	# Per request: busy core-seconds per second over requests per second.
	per = (rps > 0 && F["srv_window_s"] > 0) ? 1e6 / (rps * F["srv_window_s"]) : 0
	if (F["same_host"] + 0 == 0) {
		# Two hosts: loadgen cannot see the server's cores.
		fill("server_user_pct", F["srv_user_pct"]); fill("server_sys_pct", F["srv_sys_pct"])
		fill("server_softirq_pct", F["srv_softirq_pct"]); fill("server_idle_pct", F["srv_idle_pct"])
		fill("server_cpu_us_per_req", sprintf("%.3f", F["srv_busy_s"] * per))
	}
	# Every process of the server's session (loadgen's --server-pid sees one).
	if (F["search"] + 0 == 0) set("server_proc_cpu_us_per_req", sprintf("%.3f", F["srv_proc_s"] * per))
	# A server that failed overrides loadgen's own classification.
	if (F["status"] != "ok") set("status", F["status"])
	else fill("status", "ok")
	set("timewait_client", F["tw_cli"]); set("timewait_server", F["tw_srv"])
	if (F["same_host"] + 0 == 0 && csv_get(f, "bound") == "") {
		# Two hosts: loadgen classified the client side only; same rule as
		# loadgen's result_bound()/result_status() (loadgen/report.c).
		set("bound", 100 - F["srv_idle_pct"] > 90 ? "server" : "neither")
		if (csv_get(f, "status") == "ok" && csv_get(f, "target_rate") == "" &&
		    csv_get(f, "connections") * csv_get(f, "pipeline") > 1 &&
		    100 - F["srv_idle_pct"] < 75 && csv_get(f, "client_busy_pct") < 75)
			set("status", "stalled")
	}
	label("server_requests", F["srv_requests"])
	label("timeout_s", F["timeout_s"])
	if (F["srv_kernel_drops"] != "") {
		l = csv_get(f, "labels")
		set("labels", l (l == "" ? "" : ";") F["srv_kernel_drops"])
	}
	r = ""
	for (i = 1; i <= NCOL; i++) r = r (i > 1 ? "," : "") csv_quote(f[i])
	print r
}
AWK
awk -f scripts/lib/csv.awk -f "$tmp/merge.awk" "$tmp/fields" "$tmp/loadgen.csv" >"$tmp/row" ||
	fail csv "cannot merge the CSV row"

mkdir -p "$(dirname "$csv")"
if [ ! -s "$csv" ]; then
	cat "$tmp/header" "$tmp/row" >"$csv"
elif [ "$(head -n 1 "$csv")" != "$(cat "$tmp/header")" ]; then
	# Never mix column sets in one file (a newer loadgen, an older CSV).
	alt=${csv%.csv}-$(cksum <"$tmp/header" | cut -d' ' -f1).csv
	bb_log "run-point: $csv has other columns than this loadgen's; this row goes to $alt"
	[ -s "$alt" ] || cat "$tmp/header" >"$alt"
	cat "$tmp/row" >>"$alt"
else
	cat "$tmp/row" >>"$csv"
fi

cat >"$tmp/line.awk" <<'AWK'
# Open loop: a client behind its schedule (loadgen --max-send-lag) says so.
function late(f,    p99, lim, never) {
	p99 = csv_get(f, "send_lag_p99_us"); lim = csv_get(f, "max_send_lag_us"); never = csv_get(f, "never_sent")
	if (lim == "" || (p99 + 0 <= lim + 0 && never + 0 == 0)) return ""
	return sprintf(": send lag p99 %s us (limit %s), %s never sent", p99 == "" ? "-" : p99, lim, never)
}
NR == 1 { csv_header($0); next }
{
	csv_split($0, f)
	printf "run-point: %s %s w=%s c=%s%s %s mtu=%s rep=%s: %.0f req/s, %s Gbit/s, p99 %s us, server cores %.0f%% busy, %s us/request, client cores %s%% busy%s%s\n",
		csv_get(f, "server"), csv_get(f, "mode"), csv_get(f, "workers"), csv_get(f, "connections"),
		csv_get(f, "target_rate") == "" ? "" : " rate=" csv_get(f, "target_rate"),
		csv_get(f, "page_set"), csv_get(f, "mtu"), csv_get(f, "repeat"), csv_get(f, "req_per_s"),
		csv_get(f, "gbit_per_s"), csv_get(f, "lat_p99_us"), 100 - csv_get(f, "server_idle_pct"),
		csv_get(f, "server_cpu_us_per_req"), csv_get(f, "client_busy_pct"),
		csv_get(f, "client_bound") == 1 ? " [client-bound" late(f) "]" : "",
		csv_get(f, "status") != "ok" ? " [" csv_get(f, "status") "]" : ""
	if (csv_get(f, "search_phase") != "")
		printf "run-point:   search step %s (%s): %s %s us: %s\n", csv_get(f, "search_step"), csv_get(f, "search_phase"),
			csv_get(f, "slo"), csv_get(f, "slo_latency_us"), csv_get(f, "slo_verdict")
}
AWK
awk -f scripts/lib/csv.awk -f "$tmp/line.awk" "$tmp/header" "$tmp/row" >&2

if [ -n "${PROFILE_OUT:-}" ]; then
	profile_report "$srv_name" "$server_cpus" "$(tail -n 1 "$tmp/row")" "$tmp/header" >"$PROFILE_OUT" ||
		fail profile "perf report failed"
	bb_log "run-point: profile written to $PROFILE_OUT (folded stacks: ${PROFILE_OUT%.txt}.folded)"
fi

cat >"$tmp/status.awk" <<'AWK'
NR == 1 { csv_header($0); next }
{
	csv_split($0, f)
	printf "%s %s failed requests of %s (connect %s, read %s, timeouts %s, non-2xx %s, verify %s); bound: %s\n",
		csv_get(f, "status"), csv_get(f, "failed_requests"), csv_get(f, "requests"), csv_get(f, "connect_errors"),
		csv_get(f, "read_errors"), csv_get(f, "timeouts"), csv_get(f, "non_2xx"), csv_get(f, "verify_mismatches"),
		csv_get(f, "bound")
}
AWK
read -r row_status why < <(awk -f scripts/lib/csv.awk -f "$tmp/status.awk" "$tmp/header" "$tmp/row")
if [ -n "$slo" ]; then
	# A search's steps above the capacity fail by design; the search fails
	# only when it did not end with its knee row.
	grep -q '^loadgen: capacity under ' "$lg_log" || [ "$status" != ok ] ||
		fail search "loadgen's search ended without a knee: $(tail -n 2 "$lg_log" | tr '\n' ' ')"
	grep '^loadgen: capacity under ' "$lg_log" | sed "s/^loadgen: /run-point: $srv_name: /" >&2
elif [ "$row_status" = errors ] || [ "$row_status" = stalled ]; then
	[ "$status" = ok ] && fail "$row_status" "$why"
fi
if [ "$status" != ok ]; then
	fail "$status" "the server did not survive the run cleanly (exit $SRV_EXIT${SRV_ERROR:+, $SRV_ERROR}): $(grep -v '^bb-server-pid' "$SRV_LOG" | tail -n 2 | tr '\n' ' ')"
fi
exit 0
