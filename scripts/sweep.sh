#!/usr/bin/env bash
# The sweeps behind the suite's graphs: every server against server cores,
# MTU, concurrency, page sets and open-loop load, each point repeated, every
# run kept in one CSV.
# `make sweep` = the standard set (about 30 minutes on 2 cores); FULL=1 the
# full set. Variables (environment or make command line), documented in
# docs/sweeps.md:
#
#   SWEEP        which sweeps: cores mtu concurrency pagesets latency (all)
#   SERVERS      epoll tpc uring xdp nginx lighttpd epoll-busy uring-busy xdp-busy
#                (servers not built are skipped; *-busy: busy polling, docs/sweeps.md)
#   REPS         runs per point (3), or auto: rounds until the ratios are clear
#                (REPS_MIN 3, REPS_MAX 8, AUTO_CI_PCT 5, AUTO_SRV_PCT 10; docs/statistics.md)
#   DURATION / WARMUP   seconds (3 / 0.5; FULL: 10 / 2)
#   MODES        modes of the cores sweep (keepalive close)
#   MTUS         (1500 4000 9000)            CONCURRENCIES (1 10 100 1000 10000)
#   PAGESETS     (tiny 10k 150k 1m corpus)   LOAD_FRACTIONS of each server's peak (0.25 0.5 0.75 0.9)
#   SLO          the latency sweep's target (p99=2ms): one loadgen --search per server and
#                of its first SLO_REPS repetitions (1; FULL: 3) for the capacity under it,
#                from SLO_START (0.25) of the peak; SLO_ARGS: more loadgen options for the
#                searches (--search-*, --max-send-lag); SLO= (empty) skips them
#   BASE_PAGESET BASE_CONC BASE_MTU BASE_MODE   what the other sweeps hold fixed
#                (corpus 100 1500 keepalive)
#   MAX_CORES    cap the cores sweep (default: every core the client leaves)
#   CLIENT_CORES cores for the load generator (half the machine, at least 1; on two
#                hosts every CPU of the client host)
#   OUT          the CSV (results/sweep-HOST-STAMP.csv); failures in OUT with -failures.csv
#   PLOTS_DIR    where the figures go at the end (plots/out); NO_PLOTS=1 skips them
#   DRY_RUN=1    print the CPU plan, the points and the time estimate, run nothing
#   SERVER_HOST CLIENT_HOST SERVER_ADDR SERVER_IFNAME CLIENT_IFNAME: two hosts; the
#                server's NIC is set up per point and restored at the end (NIC_SETUP=0:
#                left alone; docs/real-hardware.md)
#   SIMULATE_NCPUS SIMULATE_NUMA SIMULATE_NIC_NODE (with DRY_RUN=1): the plan of
#                another machine (scripts/lib/cpu-plan.sh)
#   CLIENT_HOSTS="a b c" (instead of CLIENT_HOST): several client hosts, each
#                with its share of every point's load, one merged row per run
#
# Points shared by several sweeps (the base point is in all of them) run once
# per repetition; the `sweep` column lists every sweep a row belongs to.
# Repetitions are interleaved (every point once, then again) so slow drift on
# a shared machine spreads over all servers instead of favouring one.
set -u
BB_PROG=sweep
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$BB_ROOT/scripts/lib/topology.sh"
source "$BB_ROOT/scripts/lib/servers.sh"
source "$BB_ROOT/scripts/lib/metadata.sh"
cd "$BB_ROOT" || exit 1
LAB=""

if [ "${FULL:-0}" = 1 ]; then
	: "${DURATION:=10}" "${WARMUP:=2}" "${MODES_ALL:=keepalive close}"
	: "${CONCURRENCIES:=1 2 5 10 20 50 100 200 500 1000 2000 5000 10000}"
	: "${LOAD_FRACTIONS:=0.1 0.25 0.5 0.75 0.9 0.95 0.99}" "${SLO_REPS:=3}"
else
	: "${DURATION:=3}" "${WARMUP:=0.5}" "${MODES_ALL:=keepalive}"
	: "${CONCURRENCIES:=1 10 100 1000 10000}"
	: "${LOAD_FRACTIONS:=0.25 0.5 0.75 0.9}"
fi
: "${SWEEP:=cores mtu concurrency pagesets latency}"
: "${SERVERS:=epoll tpc uring xdp nginx lighttpd epoll-busy uring-busy xdp-busy}"
: "${REPS:=3}" "${MODES:=keepalive close}"
: "${MTUS:=1500 4000 9000}" "${PAGESETS:=tiny 10k 150k 1m corpus}"
: "${BASE_PAGESET:=corpus}" "${BASE_CONC:=100}" "${BASE_MTU:=1500}" "${BASE_MODE:=keepalive}"
: "${TIMEOUT:=}" # empty: run-point.sh picks by concurrency
: "${SLO=p99=2ms}" "${SLO_START:=0.25}" "${SLO_ARGS:=}" "${SLO_REPS:=1}"
[[ $SLO_REPS =~ ^[1-9][0-9]*$ ]] || bb_die "SLO_REPS must be a positive integer, not '$SLO_REPS'"
[[ $SLO_START =~ ^(0?\.[0-9]*[1-9][0-9]*|1(\.0*)?)$ ]] || bb_die "SLO_START must be a fraction of the peak, 0 < SLO_START <= 1, not '$SLO_START'"
# A bad SLO or SLO_ARGS: one line now, not a failed point per server later.
# shellcheck disable=SC2086
if [ -n "$SLO" ] && [ -x "${LOADGEN:-bin/loadgen}" ] && ! err=$("${LOADGEN:-bin/loadgen}" --url http://127.0.0.1/ --slo "$SLO" $SLO_ARGS --help 2>&1 >/dev/null); then
	bb_die "SLO=$SLO SLO_ARGS=$SLO_ARGS: $err"
fi
SWEEP=${SWEEP//,/ } SERVERS=${SERVERS//,/ }
for s in $SWEEP; do
	case $s in cores|mtu|concurrency|pagesets|latency) ;; *) bb_die "SWEEP: unknown sweep '$s' (cores mtu concurrency pagesets latency)" ;; esac
done
: "${REPS_MIN:=3}" "${REPS_MAX:=8}" "${AUTO_CI_PCT:=5}" "${AUTO_SRV_PCT:=10}"
if [ "$REPS" = auto ]; then
	[[ $REPS_MIN =~ ^[1-9][0-9]*$ ]] || bb_die "REPS_MIN must be a positive integer, not '$REPS_MIN'"
	[[ $REPS_MAX =~ ^[1-9][0-9]*$ ]] || bb_die "REPS_MAX must be a positive integer, not '$REPS_MAX'"
	[ "$REPS_MIN" -le "$REPS_MAX" ] || bb_die "REPS_MIN ($REPS_MIN) is above REPS_MAX ($REPS_MAX)"
	[[ $AUTO_CI_PCT =~ ^[0-9]+(\.[0-9]+)?$ ]] || bb_die "AUTO_CI_PCT must be a percentage, not '$AUTO_CI_PCT'"
	[[ $AUTO_SRV_PCT =~ ^[0-9]+(\.[0-9]+)?$ ]] || bb_die "AUTO_SRV_PCT must be a percentage, not '$AUTO_SRV_PCT'"
	closed_reps=$REPS_MAX open_reps=$REPS_MIN
else
	[[ $REPS =~ ^[1-9][0-9]*$ ]] || bb_die "REPS must be a positive integer or auto, not '$REPS'"
	closed_reps=$REPS open_reps=$REPS
fi
[[ $DURATION =~ ^[0-9]+(\.[0-9]+)?$ ]] || bb_die "DURATION must be seconds, not '$DURATION'"
[[ $WARMUP =~ ^[0-9]+(\.[0-9]+)?$ ]] || bb_die "WARMUP must be seconds, not '$WARMUP'"
client_hosts_check
cpu_split
export CLIENT_CORES CLIENT_CPUS
if plan_simulated; then host=$(hostname); else host=$(run_side srv hostname); fi
stamp=$(date -u +%Y%m%d-%H%M%S)
OUT=${OUT:-results/sweep-$host-$stamp.csv}
FAILURES=${OUT%.csv}-failures.csv
mkdir -p "$(dirname "$OUT")" || exit 1

# --- which servers and cores --------------------------------------------------
servers=()
if plan_simulated; then
	# A machine that is not this one: nothing there to check.
	bb_log "sweep: simulated machine (SIMULATE_*): servers, loadgen and page sets not checked"
	read -ra servers <<<"$SERVERS"
else
	for s in $SERVERS; do
		if why=$(server_check "$s"); then servers+=("$s"); else bb_log "sweep: skipping $s: $why"; fi
	done
	if [ -n "${CLIENT_HOSTS:-}" ]; then
		for h in $CLIENT_HOSTS; do
			CLIENT_HOST=$h run_side cli test -x "${LOADGEN:-bin/loadgen}" ||
				bb_die "${LOADGEN:-bin/loadgen} is not built on client host $h (make)"
		done
		[ -x "${LOADGEN:-bin/loadgen}" ] || bb_die "${LOADGEN:-bin/loadgen} is not built here, where loadgen merge runs (make)"
	elif ! run_side cli test -x "${LOADGEN:-bin/loadgen}"; then bb_die "${LOADGEN:-bin/loadgen} is not built (make)"; fi
fi
[ ${#servers[@]} -gt 0 ] || bb_die "no server to measure (SERVERS=$SERVERS)"
max_cores=$MAX_SERVER_CORES
[ -n "${MAX_CORES:-}" ] && [ "$MAX_CORES" -lt "$max_cores" ] && max_cores=$MAX_CORES
if [ "$MAX_SERVER_CORES" -lt 2 ] && [[ " $SWEEP " == *" cores "* ]]; then
	bb_log "sweep: $SRV_NPROC CPUs here, $CLIENT_CORES for the load generator: the cores sweep has only 1 server core (2 or more need a larger machine or two hosts, SERVER_HOST/CLIENT_HOST); nothing is recorded for them"
fi
plan_simulated || for ps in $PAGESETS $BASE_PAGESET; do
	run_side srv test -d "$(pageset_dir "$ps")" || bb_die "page set '$ps' not found at $(pageset_dir "$ps") (make corpus)"
done

# --- the points -------------------------------------------------------------------
# One line per point: key fields, then the sweeps it belongs to.
#   server workers mode conc rate pageset mtu  sweep+sweep
# rate "F0.5" = that fraction of the server's measured peak (latency sweep);
# "S" = a search for the capacity under $SLO (latency sweep; many windows).
declare -A point_sweeps=()
point_order=()
add_point() { # server workers mode conc rate pageset mtu sweep
	local key="$1 $2 $3 $4 $5 $6 $7"
	if [ -z "${point_sweeps[$key]:-}" ]; then
		point_order+=("$key")
		point_sweeps[$key]=$8
	else
		case "+${point_sweeps[$key]}+" in *"+$8+"*) ;; *) point_sweeps[$key]+="+$8" ;; esac
	fi
}
for s in "${servers[@]}"; do
	for sw in $SWEEP; do
		case $sw in
		cores)
			for ((w = 1; w <= max_cores; w++)); do
				for m in $MODES; do add_point "$s" "$w" "$m" "$BASE_CONC" 0 "$BASE_PAGESET" "$BASE_MTU" cores; done
			done ;;
		mtu)
			for m in $MODES_ALL; do for mtu in $MTUS; do
				add_point "$s" "$max_cores" "$m" "$BASE_CONC" 0 "$BASE_PAGESET" "$mtu" mtu
			done; done ;;
		concurrency)
			for m in $MODES_ALL; do for c in $CONCURRENCIES; do
				add_point "$s" "$max_cores" "$m" "$c" 0 "$BASE_PAGESET" "$BASE_MTU" concurrency
			done; done ;;
		pagesets)
			for m in $MODES_ALL; do for ps in $PAGESETS; do
				add_point "$s" "$max_cores" "$m" "$BASE_CONC" 0 "$ps" "$BASE_MTU" pagesets
			done; done ;;
		latency)
			# The peak: the closed-loop base point, then fractions of it.
			add_point "$s" "$max_cores" "$BASE_MODE" "$BASE_CONC" 0 "$BASE_PAGESET" "$BASE_MTU" latency
			for f in $LOAD_FRACTIONS; do
				add_point "$s" "$max_cores" "$BASE_MODE" "$BASE_CONC" "F$f" "$BASE_PAGESET" "$BASE_MTU" latency
			done
			[ -n "$SLO" ] && add_point "$s" "$max_cores" "$BASE_MODE" "$BASE_CONC" S "$BASE_PAGESET" "$BASE_MTU" latency ;;
		esac
	done
done
# Open-loop points run after every closed-loop repetition, so their peak is
# the median of all of its runs.
closed=() open=()
for key in "${point_order[@]}"; do
	set -- $key
	if [[ $5 == F* || $5 == S ]]; then open+=("$key"); else closed+=("$key"); fi
done
nsearch=0
for key in "${open[@]}"; do set -- $key; [ "$5" = S ] && nsearch=$((nsearch + 1)); done
# REPS=auto: at most REPS_MAX rounds of the closed-loop points, then
# REPS_MIN of the open-loop ones; `runs` is the most there can be.
runs=$((${#closed[@]} * closed_reps + ${#open[@]} * open_reps))
# About 2 s per run go to the lab, the server's start and stop.
per_run_est=$(awk -v d="$DURATION" -v w="$WARMUP" 'BEGIN { printf "%d", d + w + 2.5 }')
# A search runs in the first SLO_REPS repetitions only (it repeats its own
# boundary) and is about SEARCH_STEPS_EST windows (exponential from a
# quarter of the peak, bisection to 5%, two repeats).
SEARCH_STEPS_EST=12
slo_reps=$((SLO_REPS < open_reps ? SLO_REPS : open_reps))
open_runs=$((${#open[@]} * open_reps - nsearch * (open_reps - slo_reps)))
runs=$((${#closed[@]} * closed_reps + open_runs))
est=$(((runs + nsearch * slo_reps * (SEARCH_STEPS_EST - 1)) * per_run_est))

if [ "$REPS" = auto ]; then
	runs_min=$((${#closed[@]} * REPS_MIN + open_runs))
	bb_log "sweep: ${#servers[@]} servers (${servers[*]}), sweeps: $SWEEP; $((${#closed[@]} + ${#open[@]})) points, REPS=auto: $REPS_MIN to $REPS_MAX rounds of the ${#closed[@]} closed-loop points, $REPS_MIN of the ${#open[@]} open-loop ones = $runs_min..$runs runs of ${WARMUP}+${DURATION} s; estimated $(fmt_secs $((runs_min * per_run_est)))..$(fmt_secs "$est")"
	bb_log "sweep: after round $REPS_MIN and each one after it, a group of points that differ only by server runs again unless every headline ratio's 95% interval excludes 1.0 or is within +-$AUTO_CI_PCT% (a server in no headline ratio: its median within +-$AUTO_SRV_PCT%) (docs/statistics.md)"
else
	bb_log "sweep: ${#servers[@]} servers (${servers[*]}), sweeps: $SWEEP; $((${#closed[@]} + ${#open[@]})) points x $REPS reps = $runs runs of ${WARMUP}+${DURATION} s; estimated $(fmt_secs "$est")"
fi
bb_log "sweep: results in $OUT (failures in $FAILURES)"
if [ "${DRY_RUN:-0}" = 1 ]; then
	plan_print "$max_cores" || exit 1
	for key in "${closed[@]}" "${open[@]}"; do echo "$key ${point_sweeps[$key]}"; done
	exit 0
fi
# RUN_POINT: what runs one point (scripts/run-point.sh; tests put a stand-in
# that writes synthetic rows, and needs no root).
RUN_POINT=${RUN_POINT:-scripts/run-point.sh}
[ "$(id -u)" = 0 ] || is_remote || [ "$RUN_POINT" != scripts/run-point.sh ] ||
	bb_die "the local lab needs root (network namespaces): run as root"

# A real NIC: its settings saved once, each point sets its own (run-point.sh),
# and the saved ones come back when the sweep ends, however it ends.
nic_restore() {
	[ -n "${NIC_STATE:-}" ] || return 0
	run_side srv scripts/lib/nic-setup.sh restore --state "$NIC_STATE" ||
		bb_log "sweep: the NIC's settings are not all restored: run scripts/lib/nic-setup.sh restore --state $NIC_STATE on the server host"
	NIC_STATE=""
}
if plan_real_nic && [ "${NIC_SETUP:-1}" != 0 ]; then
	export NIC_STATE=${NIC_STATE:-/tmp/bypassbench-nic-$SERVER_IFNAME.state}
	if run_side srv test -e "$NIC_STATE"; then
		bb_log "sweep: $NIC_STATE on the server host is left by a run that did not finish: the settings it holds are the ones restored at the end"
	fi
	trap nic_restore EXIT
	run_side srv scripts/lib/nic-setup.sh save --ifname "$SERVER_IFNAME" --state "$NIC_STATE" || exit 1
	# Before any load: every setting the largest point needs must take.
	nic_check=$(run_side srv scripts/lib/nic-setup.sh apply --ifname "$SERVER_IFNAME" --state "$NIC_STATE" \
		--cpus "$(server_cpus_for "$max_cores")" 2>&1) || bb_die "NIC set-up of $SERVER_IFNAME: $(printf '%s\n' "$nic_check" | grep . | tail -n 1)"
	if [ "$nic_check" = nic_setup=virtual ]; then
		bb_log "sweep: $SERVER_IFNAME is a virtual interface: no NIC set-up"
		NIC_STATE=""
	else
		bb_log "sweep: NIC $SERVER_IFNAME set up for $max_cores server cores: $(printf '%s\n' "$nic_check" | tr '\n' ' ')"
		NIC_SHOW=$nic_check # for the machine file
	fi
fi
BB_META_FIELDS=$(meta_row_fields | grep -v '^meta_timestamp=')
export BB_META_FIELDS
machine_file=$(dirname "$OUT")/machine-$host.txt
machine_info "$machine_file"

# --- running --------------------------------------------------------------------
child="" interrupted=0
on_signal() {
	interrupted=1
	trap - INT TERM HUP
	bb_log "sweep: interrupted, stopping the current run"
	if [ -n "$child" ]; then
		kill -TERM "$child" 2>/dev/null
		wait "$child" 2>/dev/null
		topo_down "bbp$child" # belt and braces: run-point cleans its own lab
	fi
	bb_log "sweep: stopped; the runs so far are in $OUT"
	exit 130
}
trap on_signal INT TERM HUP

peak_of() { # server -> median req/s of its closed-loop base point, "" if none
	[ -s "$OUT" ] || return 0
	awk -f scripts/lib/csv.awk -f scripts/lib/aggregate.awk -v short=1 -v status=good -v by=server -v metrics=req_per_s \
		-v where="workers=$max_cores;mode=$BASE_MODE;connections=$BASE_CONC;page_set=$BASE_PAGESET;mtu=$BASE_MTU;target_rate=" \
		"$OUT" | awk -v s="$1" '$1 == s { printf "%.0f\n", $2 }'
}

done_runs=0 failed_runs=0 start=$SECONDS
run_one() { # rep key
	local rep=$1 key=$2 rate frac="" search=()
	set -- $key
	local s=$1 w=$2 m=$3 c=$4 r=$5 ps=$6 mtu=$7
	rate=$r
	if [ "$r" = S ]; then
		# The search starts at SLO_START of the peak (1000 req/s without one).
		local peak first=1000
		peak=$(peak_of "$s")
		[ -n "$peak" ] && [ "$peak" != 0 ] && first=$(awk -v p="$peak" -v f="$SLO_START" 'BEGIN { s = p * f; printf "%.0f", s < 1 ? 1 : s }')
		search=(--slo "$SLO" --search-args "--search-start $first $SLO_ARGS")
		rate=0
	elif [[ $r == F* ]]; then
		frac=${r#F}
		local peak
		peak=$(peak_of "$s")
		if [ -z "$peak" ] || [ "$peak" = 0 ]; then
			bb_log "sweep: $s: no successful peak run, skipping its open-loop point at $frac of peak"
			done_runs=$((done_runs + 1))
			return
		fi
		rate=$(awk -v p="$peak" -v f="$frac" 'BEGIN { printf "%.0f", p * f }')
	fi
	local elapsed=$((SECONDS - start)) eta
	if [ "$done_runs" -gt 0 ]; then
		eta=$((elapsed * (runs - done_runs) / done_runs))
	else
		eta=$est
	fi
	printf 'sweep: [%d/%s %d%%] rep %d/%s %s %s w=%d c=%s %s %s mtu=%s | elapsed %s, ETA %s\n' \
		$((done_runs + 1)) "$([ "$REPS" = auto ] && echo "<=")$runs" $((100 * done_runs / runs)) "$rep" \
		"$([ "$REPS" = auto ] && { [[ $rate == 0 ]] && echo "<=$REPS_MAX" || echo "$REPS_MIN"; } || echo "$REPS")" "$s" "$m" "$w" "$c" \
		"$([ ${#search[@]} -gt 0 ] && echo "search for the capacity under $SLO" || { [ "$rate" = 0 ] && echo closed-loop || echo "rate=$rate/s${frac:+ ($frac of peak)}"; })" "$ps" "$mtu" \
		"$(fmt_secs "$elapsed")" "$(fmt_secs "$eta")" >&2
	local -a tags=(--tag "sweep=${point_sweeps[$key]}")
	[ -n "$frac" ] && tags+=(--tag "load_fraction=$frac")
	"$RUN_POINT" --server "$s" --workers "$w" --mode "$m" --concurrency "$c" --rate "$rate" \
		--pageset "$ps" --mtu "$mtu" --duration "$DURATION" --warmup "$WARMUP" ${TIMEOUT:+--timeout "$TIMEOUT"} \
		--rep "$rep" --csv "$OUT" --failures "$FAILURES" "${tags[@]}" "${search[@]}" &
	child=$!
	wait "$child"
	local rc=$?
	child=""
	[ "$interrupted" = 1 ] && return
	[ "$rc" = 0 ] || failed_runs=$((failed_runs + 1))
	done_runs=$((done_runs + 1))
}

# REPS=auto: which closed-loop points still need runs after a round, from
# the CSV so far (scripts/lib/reps-auto.awk prints "group<TAB>open|settled<TAB>why"
# per group, the group being a point's key without its server). A group with
# no row at all (every run failed before loadgen wrote one) is settled.
still_open() { # key... -> the keys whose group is open, one per line
	local -A state=() why=()
	local g st w key
	if [ -s "$OUT" ]; then
		while IFS=$'\t' read -r g st w; do state[$g]=$st why[$g]=$w; done < <(
			awk -f scripts/lib/csv.awk -f scripts/lib/bootstrap.awk -f scripts/lib/runs.awk -f scripts/lib/reps-auto.awk \
				-v ci_pct="$AUTO_CI_PCT" -v srv_pct="$AUTO_SRV_PCT" -v min_pairs="$REPS_MIN" "$OUT")
	fi
	local -A said=()
	for key in "$@"; do
		g=${key#* }
		[ "${state[$g]:-settled}" = open ] || continue
		echo "$key"
		[ -n "${said[$g]:-}" ] && continue
		said[$g]=1
		set -- $g
		bb_log "sweep: still open: w=$1 $2 c=$3 $5 mtu=$6 (${why[$g]})"
	done
}

if [ "$REPS" = auto ]; then
	todo=("${closed[@]}")
	for ((rep = 1; rep <= REPS_MAX && ${#todo[@]} > 0; rep++)); do
		for key in "${todo[@]}"; do run_one "$rep" "$key"; done
		[ "$rep" -lt "$REPS_MIN" ] && continue
		mapfile -t todo < <(still_open "${todo[@]}")
		# What is left at most: the open points for the remaining rounds.
		runs=$((done_runs + ${#todo[@]} * (REPS_MAX - rep) + open_runs))
		bb_log "sweep: after round $rep: ${#todo[@]} of ${#closed[@]} closed-loop points still open$([ "$rep" -ge "$REPS_MAX" ] && [ ${#todo[@]} -gt 0 ] && echo " (REPS_MAX=$REPS_MAX reached: the summary says which ratios are inconclusive)")"
	done
else
	for ((rep = 1; rep <= closed_reps; rep++)); do
		for key in "${closed[@]}"; do run_one "$rep" "$key"; done
	done
fi
for ((rep = 1; rep <= open_reps; rep++)); do
	for key in "${open[@]}"; do
		[[ $key == *" S "* ]] && [ "$rep" -gt "$SLO_REPS" ] && continue
		run_one "$rep" "$key"
	done
done

bb_log "sweep: done, $done_runs runs in $(fmt_secs $((SECONDS - start))), $failed_runs failed$([ "$failed_runs" -gt 0 ] && echo " (see $FAILURES)")"
bb_log "sweep: results: $OUT; machine: $machine_file"
if [ ! -s "$OUT" ]; then
	bb_log "sweep: no run succeeded, no plots"
	exit 1
fi
if [ "${NO_PLOTS:-0}" != 1 ]; then
	scripts/plots.sh "$OUT" "${PLOTS_DIR:-plots/out}" || bb_log "sweep: plots failed"
	echo
	scripts/summary.sh "$OUT" || bb_log "sweep: summary failed"
fi
exit 0
