#!/usr/bin/env bash
# The measurement scripts end to end, with short runs (about a minute):
#   1. a tiny sweep (httpd-epoll, keep-alive and close, 1 s each) gives a CSV
#      with loadgen's header and one ok row per run, a machine file, the
#      figures (SVG + PNG, not empty) and a summary, all in a temp folder;
#   1b. a run with failed requests is kept with status errors and listed as a
#      failure, and with TIMELINE=1 its load over time (failures included) is
#      kept beside the CSV, where the plots find it; the threaded-NAPI lab
#      mode runs and is recorded; a capacity search (--slo) ends with its knee;
#   2. the two-host path: SERVER_HOST/CLIENT_HOST through a stand-in `ssh`
#      that maps a host name to a namespace, MTU set through the interfaces,
#      the server's CPU sampled by the script (loadgen cannot see it); then
#      with a stand-in NIC behind the server's interface name: set up for the
#      run, recorded in the row, restored after;
#   3. a sweep interrupted mid-run (SIGINT to its process group, as Ctrl-C)
#      leaves no namespace, no process and no XDP program behind.
# Checks behaviour, never speed.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
source scripts/lib/topology.sh

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
[ -x bin/loadgen ] || skip "bin/loadgen is not built"
[ -x bin/httpd-epoll ] || skip "bin/httpd-epoll is not built"
[ -f build/pages/tiny/index.html ] || skip "no page sets (make corpus)"
command -v gnuplot >/dev/null || skip "gnuplot is not installed (make deps)"

tmp=$(mktemp -d /tmp/bb-test-sweep.XXXXXX) || exit 1
LAB=bts$$
sweep_pid=""
cleanup() {
	[ -n "$sweep_pid" ] && kill -TERM -- "-$sweep_pid" 2>/dev/null
	topo_down "$LAB"
	rm -rf "$tmp"
}
trap cleanup EXIT

passed=0 failed=0
check() { # name command...
	local name=$1
	shift
	if "$@"; then echo "ok - $name"; passed=$((passed + 1)); else echo "not ok - $name"; failed=$((failed + 1)); fi
}
# CSV helpers: a column's values (rows 2..), by name.
col() { awk -f scripts/lib/csv.awk -v c="$2" -f /dev/fd/3 "$1" 3<<'EOF'
NR == 1 { csv_header($0); next }
{ csv_split($0, f); print csv_get(f, c) }
EOF
}
all_positive() { local v; for v in "$@"; do awk -v x="$v" 'BEGIN { exit !(x + 0 > 0) }' || return 1; done; [ $# -gt 0 ]; }
all_equal() { local want=$1 v; shift; for v in "$@"; do [ "$v" = "$want" ] || return 1; done; [ $# -gt 0 ]; }
nonempty_files() { local f; for f in "$@"; do [ -s "$f" ] || { echo "  missing or empty: $f"; return 1; }; done; }

# --- 1. a tiny sweep ------------------------------------------------------------
echo "# tiny sweep"
OUT=$tmp/s.csv PLOTS_DIR=$tmp/plots SERVERS=epoll SWEEP=cores MODES="keepalive close" MAX_CORES=1 \
	REPS=1 DURATION=1 WARMUP=0.3 BASE_PAGESET=tiny BASE_CONC=10 \
	scripts/sweep.sh >"$tmp/sweep.out" 2>&1
rc=$?
sed 's/^/  | /' "$tmp/sweep.out" | tail -n 40
check "sweep exits 0" [ "$rc" = 0 ]
header=$(head -n 1 "$tmp/s.csv" 2>/dev/null)
check "CSV header has the schema's columns" bash -c '
	for c in timestamp commit host kernel cpu_model server workers server_cpus mtu mode connections page_set \
		req_per_s gbit_per_s lat_p99_us server_user_pct server_cpu_us_per_req client_bound repeat labels \
		send_lag_p99_us never_sent max_send_lag_us lat_uncorrected_p99_us; do
		[[ ",$1," == *",$c,"* ]] || { echo "  no column $c"; exit 1; }
	done' sh "$header"
check "two rows" [ "$(($(wc -l <"$tmp/s.csv") - 1))" = 2 ]
check "rows are httpd-epoll" all_equal httpd-epoll $(col "$tmp/s.csv" server)
check "modes keepalive and close" [ "$(col "$tmp/s.csv" mode | sort | tr '\n' ' ')" = "close keepalive " ]
check "req/s > 0" all_positive $(col "$tmp/s.csv" req_per_s)
check "server CPU per request > 0" all_positive $(col "$tmp/s.csv" server_cpu_us_per_req)
check "status ok (labels)" all_equal ok $(col "$tmp/s.csv" status)
check "sweep label" all_equal cores $(col "$tmp/s.csv" sweep)
check "bound is server, client or neither" bash -c 'for b; do case $b in server|client|neither) ;; *) exit 1 ;; esac; done; [ $# = 2 ]' sh $(col "$tmp/s.csv" bound)
check "napi inline by default" all_equal inline $(col "$tmp/s.csv" napi)
check "TIME_WAIT counted on both sides" bash -c '[[ "$1 $2 $3 $4" =~ ^[0-9]+\ [0-9]+\ [0-9]+\ [0-9]+$ ]]' sh \
	$(col "$tmp/s.csv" timewait_client) $(col "$tmp/s.csv" timewait_server)
check "close policy: the server closes" [ "$(col "$tmp/s.csv" close_policy | sort | tr '\n' ' ')" = " server " ]
check "progress line with ETA" grep -q '^sweep: \[1/2 .*ETA' "$tmp/sweep.out"
check "machine metadata file" grep -q '^kernel:' "$tmp/machine-$(hostname).txt"
check "figures, SVG and PNG" nonempty_files "$tmp"/plots/cores-keepalive-rps.svg "$tmp"/plots/cores-keepalive-rps.png \
	"$tmp"/plots/cores-close-gbps.svg "$tmp"/plots/cpu-keepalive.png "$tmp"/plots/cpu-close.svg
check "SVG is an SVG" grep -q '<svg' "$tmp/plots/cores-keepalive-rps.svg"
check "no figure in plots/out from a test" bash -c '! find plots/out -newer "$1" -name "cores-*" 2>/dev/null | grep -q .' sh "$tmp/s.csv"
scripts/summary.sh "$tmp/s.csv" >"$tmp/summary.out" 2>&1
sed 's/^/  | /' "$tmp/summary.out"
check "summary: keep-alive vs close sentence" grep -q 'epoll, keep-alive vs close, 1 core: [0-9.]*x' "$tmp/summary.out"
check "plots from the CSV alone" scripts/plots.sh "$tmp/s.csv" "$tmp/plots2" >/dev/null 2>&1
check "plots again give the same set" [ "$(ls "$tmp/plots" | sort)" = "$(ls "$tmp/plots2" | sort)" ]

# --- 1b. classification -------------------------------------------------------
echo "# a run with failed requests, and the threaded-NAPI lab"
# A 1 ms timeout fails most requests: the row is written with status errors,
# listed in the failures file with its counts, and run-point exits 3.
TIMELINE=1 TIMELINE_INTERVAL=0.5 \
	scripts/run-point.sh --server epoll --pageset tiny --concurrency 10 --duration 1 --warmup 0.2 --timeout 0.001 \
	--tag sweep=test --csv "$tmp/err.csv" >"$tmp/err.out" 2>&1
rc=$?
sed 's/^/  | /' "$tmp/err.out" | tail -n 3
check "failed requests: exit 3" [ "$rc" = 3 ]
check "failed requests: row kept with status errors" all_equal errors $(col "$tmp/err.csv" status)
check "failed requests: counted" all_positive $(col "$tmp/err.csv" failed_requests)
check "failed requests: in the failures file with the reason" grep -q ',errors,".*failed requests of' "$tmp/err-failures.csv"
tl=$tmp/err-timelines/httpd-epoll-keepalive-w1-c10-r0-tiny-mtu1500-q1-sweep-test.csv
# 0.2 s of warm-up and 1 s measured at 0.5 s: 1 + 2 rows, then the drain.
check "TIMELINE=1: the run's timeline beside the CSV, its rows" \
	[ "$(cut -d, -f2 "$tl" 2>/dev/null | paste -sd' ')" = "phase warmup measured measured drain" ]
check "TIMELINE=1: the failures over time add up to the row's" \
	[ "$(awk -F, 'NR > 1 && $2 != "warmup" { n += $7 } END { print n + 0 }' "$tl")" = "$(col "$tmp/err.csv" failed_requests)" ]
scripts/plots.sh "$tmp/err.csv" "$tmp/errplots" >/dev/null 2>&1
check "TIMELINE=1: make plots draws it" [ -s "$tmp/errplots/timeline-httpd-epoll-keepalive-w1-c10-r0-tiny-mtu1500-q1-sweep-test.png" ]
TOPO_NAPI=threaded TOPO_NAPI_DEFER_IRQS=2 TOPO_GRO_FLUSH_TIMEOUT=200000 \
	scripts/run-point.sh --server epoll --pageset tiny --concurrency 10 --duration 1 --warmup 0.2 \
	--csv "$tmp/napi.csv" >"$tmp/napi.out" 2>&1
rc=$?
sed 's/^/  | /' "$tmp/napi.out" | tail -n 2
check "threaded NAPI lab: a row" bash -c '[ "$1" = 0 ] || [ "$1" = 3 ]' sh "$rc"
check "threaded NAPI lab: recorded" all_equal threaded $(col "$tmp/napi.csv" napi)
check "threaded NAPI lab: req/s > 0" all_positive $(col "$tmp/napi.csv" req_per_s)
check "busy-poll interface settings: recorded as the interface has them" \
	grep -q 'napi_defer_hard_irqs=2;gro_flush_timeout=200000' "$tmp/napi.csv"
scripts/run-point.sh --server epoll-busy --pageset tiny --concurrency 10 --duration 1 --warmup 0.2 \
	--csv "$tmp/busy.csv" >"$tmp/busy.out" 2>&1
rc=$?
sed 's/^/  | /' "$tmp/busy.out" | tail -n 2
check "busy-poll variant: a row" bash -c '[ "$1" = 0 ] || [ "$1" = 3 ]' sh "$rc"
check "busy-poll variant: its own server name" all_equal httpd-epoll-busy $(col "$tmp/busy.csv" server)
check "busy-poll variant: its lab (GRO on, interrupts deferred)" bash -c \
	'[ "$(awk -F, "NR==2" "$1" | grep -c "napi_defer_hard_irqs=2;gro_flush_timeout=200000")" = 1 ]' sh "$tmp/busy.csv"
check "busy-poll variant: GRO recorded on" all_equal on $(col "$tmp/busy.csv" gro)
# A capacity search through run-point (loadgen --slo --search): generous
# limits, so every step passes on a loaded machine and the search stops at
# its maximum with a knee row.
scripts/run-point.sh --server epoll --pageset tiny --concurrency 10 --duration 0.5 --warmup 0.2 \
	--slo p99=1s --search-args "--search-start 200 --search-max 400 --max-send-lag 1s" \
	--csv "$tmp/slo.csv" >"$tmp/slo.out" 2>&1
rc=$?
sed 's/^/  | /' "$tmp/slo.out" | tail -n 2
check "search: run-point exits 0" [ "$rc" = 0 ]
check "search: a knee row" bash -c '[ "$(grep -c ",knee," "$1")" = 1 ]' sh "$tmp/slo.csv"
check "search: the capacity said on stderr" grep -q "capacity under p99=1s" "$tmp/slo.out"

# --- 2. two "hosts" ---------------------------------------------------------------
echo "# SERVER_HOST / CLIENT_HOST through ssh"
mkdir -p "$tmp/fakebin"
ln -s "$ROOT/tests/integration/stand_in_ssh.sh" "$tmp/fakebin/ssh"
TOPO_CLIENT_TX_CSUM=off topo_up "$LAB" 1500 1 || { echo "not ok - lab for the two-host test"; exit 1; }
PATH=$tmp/fakebin:$PATH SERVER_HOST=$LAB-srv CLIENT_HOST=$LAB-cli SERVER_ADDR=$TOPO_SRV_ADDR \
	SERVER_IFNAME=veth-srv CLIENT_IFNAME=veth-cli CLIENT_CPUS=1 \
	scripts/run-point.sh --server epoll --pageset tiny --concurrency 10 --mtu 4000 --duration 1 --warmup 0.3 \
	--csv "$tmp/remote.csv" >"$tmp/remote.out" 2>&1
rc=$?
sed 's/^/  | /' "$tmp/remote.out" | tail -n 5
check "remote run exits 0" [ "$rc" = 0 ]
check "remote row written" [ "$(($(wc -l <"$tmp/remote.csv" 2>/dev/null || echo 1) - 1))" = 1 ]
check "remote req/s > 0" all_positive $(col "$tmp/remote.csv" req_per_s)
check "server CPU sampled by the script" all_positive $(col "$tmp/remote.csv" server_cpu_us_per_req)
check "MTU set on both hosts' interfaces" [ "$(ip netns exec "$LAB-srv" cat /sys/class/net/veth-srv/mtu)/$(ip netns exec "$LAB-cli" cat /sys/class/net/veth-cli/mtu)" = 4000/4000 ]
check "mtu column" all_equal 4000 $(col "$tmp/remote.csv" mtu)
check "no server left on the server host" [ -z "$(ip netns pids "$LAB-srv")" ]
check "a veth is no NIC: left alone, and the row says so" grep -q 'nic_setup=virtual' "$tmp/remote.csv"
# The same run with a stand-in NIC behind veth-srv's name (tests/integration/fake_nic.sh):
# run-point sets it up for its one server core, records it, and restores it.
(
	source tests/integration/fake_nic.sh
	fake_nic_init "$tmp" veth-srv
	fake_nic_snapshot >"$tmp/nic.before"
	PATH=$tmp/fakebin:$PATH SERVER_HOST=$LAB-srv CLIENT_HOST=$LAB-cli SERVER_ADDR=$TOPO_SRV_ADDR \
		SERVER_IFNAME=veth-srv CLIENT_IFNAME=veth-cli CLIENT_CPUS=1 \
		scripts/run-point.sh --server epoll --pageset tiny --concurrency 10 --duration 1 --warmup 0.3 \
		--csv "$tmp/nic.csv" >"$tmp/nic.out" 2>&1
	echo "rc=$?" >>"$tmp/nic.out"
	fake_nic_snapshot >"$tmp/nic.after"
)
sed 's/^/  | /' "$tmp/nic.out" | tail -n 3
check "stand-in NIC: run exits 0" grep -qx 'rc=0' "$tmp/nic.out"
check "stand-in NIC: one queue, its IRQ and XPS on server CPU 0, recorded" \
	grep -q 'nic_setup=on;nic_queues=1;nic_irq_cpus=0;nic_xps_cpus=0;nic_rss_tcp4=sdfn;irqbalance=off' "$tmp/nic.csv"
check "stand-in NIC: queues column 1" all_equal 1 $(col "$tmp/nic.csv" queues)
check "stand-in NIC: set for the run (ethtool -L combined 1)" grep -qx 'ethtool -L veth-srv combined 1' "$tmp/fake-nic-tree/calls"
check "stand-in NIC: every setting restored after the run" diff "$tmp/nic.before" "$tmp/nic.after"
topo_down "$LAB"

# --- 3. an interrupted sweep --------------------------------------------------------
srv=epoll
[ -x bin/httpd-xdp ] && srv=xdp
echo "# interrupted sweep ($srv)"
# The sweep gets its own process group, as a shell job at a terminal does, and
# Ctrl-C is SIGINT to that group. Not with `set -m`: without a terminal (make
# test, CI) there is no job control, so the group would not exist and a
# background command would start with SIGINT ignored. setsid makes the group
# (the sweep is not a group leader, so it keeps its pid); env restores SIGINT.
OUT=$tmp/int.csv NO_PLOTS=1 SERVERS=$srv SWEEP=cores MODES=keepalive MAX_CORES=1 REPS=3 DURATION=5 WARMUP=0.5 \
	BASE_PAGESET=tiny BASE_CONC=10 setsid env --default-signal=INT scripts/sweep.sh >"$tmp/int.out" 2>&1 &
sweep_pid=$!
# Wait until the sweep's run-point (lab "bbp<its pid>") has a server and a
# load generator running, then interrupt.
lab="" pids="" xdp_id=""
for ((i = 0; i < 200; i++)); do
	for rp in $(pgrep -P "$sweep_pid" 2>/dev/null); do
		if [ -n "$(ip netns pids "bbp$rp-srv" 2>/dev/null)" ] && [ -n "$(ip netns pids "bbp$rp-cli" 2>/dev/null)" ]; then
			lab=bbp$rp
		fi
	done
	[ -n "$lab" ] && break
	sleep 0.1
done
sleep 0.5 # into the measured window
if [ -n "$lab" ]; then
	pids="$(ip netns pids "$lab-srv") $(ip netns pids "$lab-cli")"
	xdp_id=$(ip -n "$lab-srv" -d link show veth-srv 2>/dev/null | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -n 1)
fi
check "a run was under way (lab $lab, pids $pids${xdp_id:+, xdp prog $xdp_id})" [ -n "$lab" ] && [ -n "${pids// /}" ]
kill -INT -- "-$sweep_pid"
waited=0
while kill -0 "$sweep_pid" 2>/dev/null && [ "$waited" -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
check "sweep stopped within 10 s of SIGINT" bash -c '! kill -0 "$1" 2>/dev/null' sh "$sweep_pid"
wait "$sweep_pid" 2>/dev/null
rc=$?
sweep_pid=""
sed 's/^/  | /' "$tmp/int.out" | tail -n 4
check "sweep exit status 130" [ "$rc" = 130 ]
check "no namespace left" bash -c '! ip netns list | grep -q "^$1-"' sh "$lab"
left=""
for p in $pids; do
	# A zombie is dead already (its reaper is not ours to hurry).
	st=$(ps -o stat= -p "$p" 2>/dev/null)
	[ -n "$st" ] && [[ $st != Z* ]] && left+=" $p($(ps -o comm= -p "$p"))"
done
check "no process left${left:+:$left}" [ -z "$left" ]
if [ -n "$xdp_id" ]; then
	check "XDP program $xdp_id gone" bash -c '! bpftool prog show id "$1" >/dev/null 2>&1' sh "$xdp_id"
fi
check "no temp folders left" bash -c '! ls -d /tmp/bypassbench-"$1"-* 2>/dev/null | grep -q .' sh "$lab"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
