#!/usr/bin/env bash
# Memory each server spends on idle connections: RSS beyond its page cache.
#
#   scripts/idle-memory.sh [N] [SERVERS...]     (default 10000, epoll tpc uring)
#
# For each server, in a fresh lab: start it on the `tiny` set (so the page
# cache is a few KiB), read its RSS, open N connections from the client
# namespace and hold them idle (tests/integration/httpprobe hold), read the RSS
# again, check that a fresh request is still served, and print one line:
#   "<server> idle=N rss_before_kib=.. rss_with_kib=.. extra_kib=.. bytes_per_conn=.. served=yes|no"
set -u
BB_PROG=idle-memory
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$BB_ROOT/scripts/lib/topology.sh"
source "$BB_ROOT/scripts/lib/servers.sh"
cd "$BB_ROOT" || exit 1
N=${1:-10000}
shift || true
SERVERS=${*:-epoll tpc uring}
[[ $N =~ ^[1-9][0-9]*$ ]] || bb_die "N must be a positive integer, not '$N'"
[ "$(id -u)" = 0 ] || bb_die "the lab needs root (network namespaces)"
PROBE=build/release/tests/httpprobe
[ -x "$PROBE" ] || bb_die "$PROBE is not built (make)"
[ -d build/pages/tiny ] || bb_die "no page sets (make corpus)"

LAB=idle$$
SRV_ADDR=$TOPO_SRV_ADDR SRV_PORT=8080 SRV_TMP=$(mktemp -d /tmp/idle-memory.XXXXXX)
SRV_LOG=$SRV_TMP/server.log SRV_LAUNCH=""
cleanup() { server_stop; rm -rf "$SRV_TMP"; topo_down "$LAB"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

for s in $SERVERS; do
	TOPO_CLIENT_TX_CSUM=off topo_up "$LAB" 1500 1 || exit 1
	why=$(server_check "$s") || { bb_log "$BB_PROG: skipping $s: $why"; topo_down "$LAB"; continue; }
	ip netns exec "$LAB-cli" sh -c 'echo "1024 65000" > /proc/sys/net/ipv4/ip_local_port_range'
	SERVER_ARGS="--max-conns $((N + 100)) --idle-timeout 600" server_start "$s" 1 0 tiny &&
		server_wait_ready "$s" 10 || bb_die "$s: $SRV_ERROR"
	pid=$SRV_PID
	sleep 0.5
	before=$(rss_kib "$pid")
	hold=$(mktemp)
	ip netns exec "$LAB-cli" prlimit --nofile=$((N + 1000)) "$PROBE" hold "$TOPO_SRV_ADDR" 8080 "$N" 30 >"$hold" 2>&1 &
	holder=$!
	for _ in $(seq 300); do grep -q '^held' "$hold" && break; sleep 0.1; done
	sleep 1
	with=$(rss_kib "$pid")
	served=no
	ip netns exec "$LAB-cli" curl -s -m 5 -o /dev/null "http://$TOPO_SRV_ADDR:8080/index.html" && served=yes
	grep -q '^held' "$hold" || served="no (connections not all held: $(tail -n 1 "$hold"))"
	kill -TERM "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
	server_stop
	printf '%s idle=%d rss_before_kib=%d rss_with_kib=%d extra_kib=%d bytes_per_conn=%d served=%s\n' \
		"$s" "$N" "$before" "$with" $((with - before)) $(((with - before) * 1024 / N)) "$served"
	rm -f "$hold"
	topo_down "$LAB"
done
