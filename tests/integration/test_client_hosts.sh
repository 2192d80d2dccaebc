#!/usr/bin/env bash
# Several client hosts (CLIENT_HOSTS), end to end through the stand-in `ssh`
# of test_sweep.sh (ssh HOST CMD runs CMD in namespace HOST): one server
# namespace and three client namespaces on one bridge. run-point.sh runs
# loadgen on each "host" with --share and --start-at, reads back their
# --hist-out files and records the one row `loadgen merge` makes:
#   1. open loop: the three shares of a 600 req/s schedule are exactly the
#      one schedule's requests, the row's count is the hosts' sum, no
#      failures, percentiles present, the whole run's options in the row;
#   2. closed loop, close mode: the same sums; Ctrl-C leaves nothing on any host;
#   3. the sweep takes CLIENT_HOSTS and its machine file records every
#      client host; CLIENT_HOSTS with CLIENT_HOST is refused.
# Checks behaviour, never speed (about 30 s).
set -u
cd "$(dirname "$0")/../.." || exit 1

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
[ -x bin/loadgen ] || skip "bin/loadgen is not built"
[ -x bin/httpd-epoll ] || skip "bin/httpd-epoll is not built"
[ -f build/pages/tiny/index.html ] || skip "no page sets (make corpus)"

tmp=$(mktemp -d /tmp/bb-test-hosts.XXXXXX) || exit 1
LAB=bth$$
NCLI=3
SRV_NS=$LAB-srv
CLI_NS=()
for ((i = 1; i <= NCLI; i++)); do CLI_NS+=("$LAB-c$i"); done
lab_down() {
	local ns
	for ns in "$SRV_NS" "${CLI_NS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null; done
		ip netns delete "$ns" 2>/dev/null
	done
	return 0
}
trap 'lab_down; rm -rf "$tmp"' EXIT

passed=0 failed=0
check() { # name command...
	local name=$1
	shift
	if "$@"; then echo "ok - $name"; passed=$((passed + 1)); else echo "not ok - $name"; failed=$((failed + 1)); fi
}
col() { awk -f scripts/lib/csv.awk -v c="$2" -f /dev/fd/3 "$1" 3<<'AWK'
NR == 1 { csv_header($0); next }
{ csv_split($0, f); print csv_get(f, c) }
AWK
}
label() { col "$1" labels | tr ';' '\n' | sed -n "s/^$2=//p"; }
sum_plus() { local s=0 v; for v in ${1//+/ }; do s=$((s + v)); done; echo "$s"; }
positive() { awk -v x="$1" 'BEGIN { exit !(x + 0 > 0) }'; }

# --- the lab: a bridge in the server namespace, one veth per client ----------
ip netns add "$SRV_NS" || { echo "not ok - lab"; exit 1; }
ip -n "$SRV_NS" link set lo up
ip -n "$SRV_NS" link add br0 type bridge
ip -n "$SRV_NS" addr add 198.18.0.1/24 dev br0
ip -n "$SRV_NS" link set br0 up
for ((i = 1; i <= NCLI; i++)); do
	ns=${CLI_NS[$((i - 1))]}
	ip netns add "$ns" &&
		ip link add "veth-c$i" netns "$SRV_NS" type veth peer veth-cli netns "$ns" &&
		ip -n "$SRV_NS" link set "veth-c$i" master br0 &&
		ip -n "$SRV_NS" link set "veth-c$i" up &&
		ip -n "$ns" link set lo up &&
		ip -n "$ns" addr add "198.18.0.$((1 + i))/24" dev veth-cli &&
		ip -n "$ns" link set veth-cli up || { echo "not ok - lab: client $i"; exit 1; }
done
for ns in "${CLI_NS[@]}"; do
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		ip netns exec "$ns" ping -c1 -W1 198.18.0.1 >/dev/null 2>&1 && break
		sleep 0.3
	done
done
check "lab: every client reaches the server" bash -c '
	for ns; do ip netns exec "$ns" ping -c1 -W1 198.18.0.1 >/dev/null 2>&1 || exit 1; done' sh "${CLI_NS[@]}"

mkdir -p "$tmp/fakebin"
ln -s "$PWD/tests/integration/stand_in_ssh.sh" "$tmp/fakebin/ssh"
hosts="${CLI_NS[*]}"
run_point() { # csv, run-point options...
	local csv=$1
	shift
	PATH=$tmp/fakebin:$PATH SERVER_HOST=$SRV_NS CLIENT_HOSTS=$hosts SERVER_ADDR=198.18.0.1 \
		SERVER_IFNAME=br0 CLIENT_IFNAME=veth-cli CLIENT_CPUS=1 CLIENT_START_DELAY=1 \
		scripts/run-point.sh --server epoll --pageset tiny --duration 1 --warmup 0.2 --csv "$csv" "$@"
}

# --- 1. open loop ----------------------------------------------------------------
echo "# open loop, 600 req/s from 3 hosts"
run_point "$tmp/open.csv" --concurrency 9 --rate 600 >"$tmp/open.out" 2>&1
rc=$?
sed 's/^/  | /' "$tmp/open.out" | tail -n 6
check "open loop: run-point exits 0" [ "$rc" = 0 ]
check "open loop: one row" [ "$(($(wc -l <"$tmp/open.csv" 2>/dev/null || echo 1) - 1))" = 1 ]
reqs=$(col "$tmp/open.csv" requests)
per_host=$(label "$tmp/open.csv" host_requests)
echo "  requests $reqs, per host $per_host, never sent $(col "$tmp/open.csv" never_sent 2>/dev/null), failed $(col "$tmp/open.csv" failed_requests 2>/dev/null)"
check "open loop: three hosts' counts" [ "$(echo "$per_host" | tr '+' '\n' | grep -c '^[1-9][0-9]*$')" = 3 ]
check "open loop: requests = the hosts' sum" [ "${reqs:-x}" = "$(sum_plus "$per_host")" ]
check "open loop: zero failed requests" [ "$(col "$tmp/open.csv" failed_requests)" = 0 ]
check "open loop: status ok" [ "$(col "$tmp/open.csv" status)" = ok ]
for c in lat_p50_us lat_p99_us lat_p999_us lat_max_us send_lag_p99_us lat_uncorrected_p99_us; do
	check "open loop: $c present" positive "$(col "$tmp/open.csv" "$c")"
done
check "open loop: the whole run's rate and connections" \
	[ "$(col "$tmp/open.csv" target_rate)/$(col "$tmp/open.csv" connections)" = 600.000/9 ]
check "open loop: loadgen threads summed" [ "$(col "$tmp/open.csv" loadgen_threads)" = 3 ]
check "open loop: client hosts recorded" [ "$(label "$tmp/open.csv" client_hosts)" = "${hosts// /+}" ]
check "open loop: the server's CPU sampled by the script" positive "$(col "$tmp/open.csv" server_cpu_us_per_req)"
check "open loop: labels kept (server, page set)" \
	[ "$(col "$tmp/open.csv" server)/$(col "$tmp/open.csv" page_set)" = httpd-epoll/tiny ]

# The shares' schedules, exactly: each host is due (sent + never sent) a
# third of the 600 requests of the window, whatever the machine's load.
echo "# loadgen --share / --start-at / --hist-out, then loadgen merge --json"
ip netns exec "$SRV_NS" bin/httpd-epoll --addr 198.18.0.1 --port 8080 --workers 1 \
	--corpus build/pages/tiny >"$tmp/srv.log" 2>&1 &
srv_pid=$!
for _ in $(seq 50); do grep -q ready "$tmp/srv.log" && break; sleep 0.1; done
start_at=$(awk -v now="$(date +%s.%N)" 'BEGIN { printf "%.3f", now + 1 }')
lg_pids=()
for ((i = 1; i <= NCLI; i++)); do
	ip netns exec "${CLI_NS[$((i - 1))]}" bin/loadgen --url http://198.18.0.1:8080/ --connections 9 \
		--rate 600 --duration 1 --warmup 0.2 --share "$i/$NCLI" --start-at "$start_at" \
		--hist-out "$tmp/h$i" --quiet --label server=httpd-epoll >"$tmp/lg$i.log" 2>&1 &
	lg_pids+=($!)
done
wait "${lg_pids[@]}"
kill -TERM "$srv_pid" 2>/dev/null
wait "$srv_pid" 2>/dev/null
bin/loadgen merge --json "$tmp/h3" "$tmp/h1" "$tmp/h2" >"$tmp/merged.json" 2>"$tmp/merge.err"
check "merge --json exits 0" [ $? = 0 ]
due=$(grep -o '"sent":[0-9]*,"never_sent":[0-9]*' "$tmp/merged.json" | awk -F'[:,]' '{ printf "%s%d", (NR > 1 ? "+" : ""), $2 + $4 }')
echo "  due per host: $due"
check "each host was due exactly 200 of the 600 (sent + never sent)" [ "$due" = 200+200+200 ]
check "the merged row: 600 due" bash -c 'grep -q "\"never_sent\":$((600 - $2)),.*\"sent\":$2," "$1"' sh \
	"$tmp/merged.json" "$(grep -o '"sent":[0-9]*,"no_free_conn"' "$tmp/merged.json" | grep -o '[0-9]*')"
check "the merged row: 3 hosts' requests" bash -c '[ "$(grep -o "\"requests\":[0-9]*" "$1" | sed -n 1p | cut -d: -f2)" = \
	"$(grep -o "\"requests\":[0-9]*" "$1" | sed -n "2,4p" | cut -d: -f2 | awk "{ s += \$1 } END { print s }")" ]' sh "$tmp/merged.json"

bin/loadgen merge "$tmp/h1" "$tmp/h2" >/dev/null 2>"$tmp/merge2.err"
check "merge of 2 of the 3 shares: exit 1, says so" bash -c '[ "$1" = 1 ] && grep -q "give all 3 shares" "$2"' sh $? "$tmp/merge2.err"
bin/loadgen --url http://198.18.0.1:8080/ --start-at "$(($(date +%s) - 60))" >/dev/null 2>"$tmp/late.err"
check "--start-at a minute ago: exit 2, one line" bash -c '[ "$1" = 2 ] && [ "$(wc -l <"$2")" = 1 ] && grep -q "in the past" "$2"' sh $? "$tmp/late.err"

# --- 2. closed loop, close mode -------------------------------------------------------
echo "# closed loop, close mode, 3 hosts"
run_point "$tmp/close.csv" --concurrency 6 --mode close >"$tmp/close.out" 2>&1
rc=$?
sed 's/^/  | /' "$tmp/close.out" | tail -n 4
check "close mode: a row (ok, or stalled on this shared machine)" bash -c '[ "$1" = 0 ] || [ "$1" = 3 ]' sh "$rc"
reqs=$(col "$tmp/close.csv" requests)
per_host=$(label "$tmp/close.csv" host_requests)
echo "  requests $reqs, per host $per_host, never sent $(col "$tmp/close.csv" never_sent 2>/dev/null), failed $(col "$tmp/close.csv" failed_requests 2>/dev/null)"
check "close mode: requests > 0 = the hosts' sum" bash -c '[ "${1:-0}" -gt 0 ] && [ "$1" = "$2" ]' sh "$reqs" "$(sum_plus "$per_host")"
check "close mode: zero failed requests" [ "$(col "$tmp/close.csv" failed_requests)" = 0 ]
check "close mode: p99 present" positive "$(col "$tmp/close.csv" lat_p99_us)"
check "close mode: 6 connections" [ "$(col "$tmp/close.csv" connections)" = 6 ]
check "no server left" [ -z "$(ip netns pids "$SRV_NS")" ]
check "no loadgen left" bash -c 'for ns; do [ -z "$(ip netns pids "$ns")" ] || exit 1; done' sh "${CLI_NS[@]}"

# --- 2b. interrupted ----------------------------------------------------------------------
echo "# run-point interrupted while the hosts load"
PATH=$tmp/fakebin:$PATH SERVER_HOST=$SRV_NS CLIENT_HOSTS=$hosts SERVER_ADDR=198.18.0.1 \
	SERVER_IFNAME=br0 CLIENT_CPUS=1 CLIENT_START_DELAY=0.5 setsid env --default-signal=INT \
	scripts/run-point.sh --server epoll --pageset tiny --duration 30 --warmup 0.2 --concurrency 6 \
	--csv "$tmp/int.csv" >"$tmp/int.out" 2>&1 &
rp=$!
loading=0
for _ in $(seq 150); do
	n=0
	for ns in "${CLI_NS[@]}"; do [ -n "$(ip netns pids "$ns")" ] && n=$((n + 1)); done
	[ "$n" = "$NCLI" ] && { loading=1; break; }
	sleep 0.1
done
check "every host was loading" [ "$loading" = 1 ]
sleep 0.5
kill -INT -- "-$rp"
for _ in $(seq 100); do kill -0 "$rp" 2>/dev/null || break; sleep 0.1; done
wait "$rp"
check "interrupted run-point exits 130" [ $? = 130 ]
check "no loadgen left on any host" bash -c 'for ns; do [ -z "$(ip netns pids "$ns")" ] || exit 1; done' sh "${CLI_NS[@]}"
check "no server left" [ -z "$(ip netns pids "$SRV_NS")" ]
check "no row from a cut run" [ ! -s "$tmp/int.csv" ]

# --- 3. the sweep: its checks, and its machine file ---------------------------------------
echo "# the sweep with CLIENT_HOSTS"
sweep_env=(PATH="$tmp/fakebin:$PATH" SERVER_HOST="$SRV_NS" CLIENT_HOSTS="$hosts" SERVER_ADDR=198.18.0.1
	SERVER_IFNAME=br0 CLIENT_IFNAME=veth-cli CLIENT_CPUS=1 CLIENT_CORES=1)
env "${sweep_env[@]}" OUT="$tmp/sweep.csv" SERVERS=epoll SWEEP=cores MODES=keepalive MAX_CORES=1 REPS=1 \
	BASE_PAGESET=tiny DRY_RUN=1 scripts/sweep.sh >"$tmp/sweep.out" 2>&1
rc=$?
sed 's/^/  | /' "$tmp/sweep.out" | tail -n 3
check "sweep (dry run) accepts the client hosts" [ "$rc" = 0 ]
# The machine file, as sweep.sh writes it before the first point.
env "${sweep_env[@]}" MAX_SERVER_CORES=1 bash -c 'source scripts/lib/common.sh; source scripts/lib/metadata.sh
	machine_info "$1"' sh "$tmp/machine.txt" 2>"$tmp/machine.err"
machine=$tmp/machine.txt
check "machine file lists the client hosts" grep -q "^client_hosts: $hosts " "$machine"
for ns in "${CLI_NS[@]}"; do
	check "machine file has a section for $ns" grep -q "^## cli side ($ns)" "$machine"
done
PATH=$tmp/fakebin:$PATH SERVER_HOST=$SRV_NS CLIENT_HOSTS=$hosts CLIENT_HOST=${CLI_NS[0]} SERVER_ADDR=198.18.0.1 \
	scripts/run-point.sh --server epoll --pageset tiny --csv "$tmp/both.csv" >"$tmp/both.out" 2>&1
rc=$?
check "CLIENT_HOSTS with CLIENT_HOST: refused in one line" bash -c '[ "$1" = 1 ] && grep -q "not both" "$2"' sh "$rc" "$tmp/both.out"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
