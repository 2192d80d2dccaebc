# Two network namespaces joined by a veth pair: the suite's lab (ARCHITECTURE.md).
# Sourced by the tests and the sweep scripts; every function takes the lab name.
#
#   topo_up LAB [MTU] [QUEUES]   server ns "$LAB-srv", client ns "$LAB-cli"
#   topo_srv LAB cmd...          run a command in the server namespace
#   topo_cli LAB cmd...          run a command in the client namespace
#   topo_down LAB                kill what runs inside, delete both namespaces
#
# Addresses come from 198.18.0.0/15 (RFC 2544, for benchmarking):
# server 198.18.0.1, client 198.18.0.2 plus TOPO_CLIENT_EXTRA extra source
# addresses 198.18.0.3... (for loadgen --source). Interfaces are called
# "veth-srv" and "veth-cli" inside their namespaces, so several labs can exist
# at once (parallel tests) without clashing names in the root namespace.
#
# Knobs (environment, all recorded by the sweep scripts):
#   TOPO_GRO=on|off          GRO on both ends (default: kernel default)
#   TOPO_RPS=0|1             RPS/XPS across all CPUs (default 0: off, see ARCHITECTURE.md)
#   TOPO_CLIENT_TX_CSUM=on|off  Client tx checksum offload. A userspace TCP stack
#                            reading veth frames sees only partial checksums while
#                            it is on, so the AF_XDP server needs it off.
#   TOPO_NAPI=inline|threaded  Where each side's receive runs (default inline).
#                            inline: veth's default, the receiver's stack runs
#                            on the *sender's* core (softirq after the send).
#                            threaded: like a real wire: TSO off on both ends
#                            (veth hands a frame to the receiver's NAPI only
#                            when the sending device has no TSO, see
#                            veth_skb_is_eligible_for_gro), GRO on, threaded
#                            NAPI; topo_pin_napi then pins each side's NAPI
#                            kthread to that side's cores. docs/attribution.md
#                            has the numbers that chose the default.
#   TOPO_NAPI_DEFER_IRQS=N   napi_defer_hard_irqs of the server's interface, and
#   TOPO_GRO_FLUSH_TIMEOUT=NS  its gro_flush_timeout (default: the kernel's, 0):
#                            what busy polling (--busy-poll) needs so that
#                            interrupts stay off while the server polls;
#                            run-point records what the interface has.
#   TOPO_CLIENT_EXTRA=N      extra client addresses (default 0)
#   TOPO_CLIENT_TXREHASH=0|1 net.core.txrehash in the client namespace (default:
#                            kernel default, 1). On veth the server's rx queue
#                            is the client's tx queue, and with rehash on the
#                            client moves a flow to another queue after a
#                            retransmission timeout; a per-queue userspace stack
#                            (httpd-xdp with several queues) needs it 0.

TOPO_SRV_ADDR=198.18.0.1
TOPO_CLI_ADDR=198.18.0.2
TOPO_PREFIX=24
TOPO_SRV_IF=veth-srv
TOPO_CLI_IF=veth-cli

topo_srv() { local lab=$1; shift; ip netns exec "$lab-srv" "$@"; }
topo_cli() { local lab=$1; shift; ip netns exec "$lab-cli" "$@"; }

topo_exists() { ip netns list 2>/dev/null | grep -qw "^$1-srv"; }

topo_up() {
	local lab=$1 mtu=${2:-1500} queues=${3:-1}
	if [ "$(id -u)" != 0 ]; then
		echo "topology: creating network namespaces needs root" >&2
		return 1
	fi
	topo_down "$lab"
	ip netns add "$lab-srv" && ip netns add "$lab-cli" || { topo_down "$lab"; return 1; }
	ip link add "$TOPO_SRV_IF" netns "$lab-srv" numtxqueues "$queues" numrxqueues "$queues" \
		type veth peer "$TOPO_CLI_IF" netns "$lab-cli" numtxqueues "$queues" numrxqueues "$queues" ||
		{ topo_down "$lab"; return 1; }
	local ns ifc addr
	for ns in srv cli; do
		if [ $ns = srv ]; then ifc=$TOPO_SRV_IF addr=$TOPO_SRV_ADDR; else ifc=$TOPO_CLI_IF addr=$TOPO_CLI_ADDR; fi
		ip -n "$lab-$ns" link set lo up
		ip -n "$lab-$ns" link set "$ifc" mtu "$mtu"
		ip -n "$lab-$ns" addr add "$addr/$TOPO_PREFIX" dev "$ifc"
		ip -n "$lab-$ns" link set "$ifc" up
		if [ -n "${TOPO_GRO:-}" ]; then
			ip netns exec "$lab-$ns" ethtool -K "$ifc" gro "$TOPO_GRO" >/dev/null 2>&1 || true
		fi
		_topo_rps "$lab-$ns" "$ifc" "${TOPO_RPS:-0}"
		if [ "${TOPO_NAPI:-inline}" = threaded ]; then
			ip netns exec "$lab-$ns" ethtool -K "$ifc" tso off gro on >/dev/null &&
				ip netns exec "$lab-$ns" sh -c "echo 1 > /sys/class/net/$ifc/threaded" ||
				{ echo "topology: cannot set up threaded NAPI on $ifc (TSO off, GRO on, threaded)" >&2; topo_down "$lab"; return 1; }
		fi
	done
	if [ -n "${TOPO_NAPI_DEFER_IRQS:-}${TOPO_GRO_FLUSH_TIMEOUT:-}" ]; then
		ip netns exec "$lab-srv" sh -c 'echo "$1" > "/sys/class/net/$3/napi_defer_hard_irqs" &&
			echo "$2" > "/sys/class/net/$3/gro_flush_timeout"' sh \
			"${TOPO_NAPI_DEFER_IRQS:-0}" "${TOPO_GRO_FLUSH_TIMEOUT:-0}" "$TOPO_SRV_IF" ||
			{ echo "topology: cannot set napi_defer_hard_irqs/gro_flush_timeout on $TOPO_SRV_IF" >&2; topo_down "$lab"; return 1; }
	fi
	local i
	for ((i = 0; i < ${TOPO_CLIENT_EXTRA:-0}; i++)); do
		ip -n "$lab-cli" addr add "198.18.0.$((3 + i))/$TOPO_PREFIX" dev "$TOPO_CLI_IF"
	done
	if [ -n "${TOPO_CLIENT_TXREHASH:-}" ]; then
		ip netns exec "$lab-cli" sysctl -qw net.core.txrehash="$TOPO_CLIENT_TXREHASH" ||
			{ echo "topology: cannot set net.core.txrehash in $lab-cli" >&2; topo_down "$lab"; return 1; }
	fi
	if [ "${TOPO_CLIENT_TX_CSUM:-on}" = off ]; then
		ip netns exec "$lab-cli" ethtool -K "$TOPO_CLI_IF" tx-checksumming off >/dev/null ||
			{ echo "topology: cannot turn tx checksumming off on $TOPO_CLI_IF" >&2; topo_down "$lab"; return 1; }
	fi
	# Wait for the link (veth comes up at once, but be sure) and check reachability.
	local tries
	for tries in 1 2 3 4 5 6 7 8 9 10; do
		topo_cli "$lab" ping -c1 -W1 "$TOPO_SRV_ADDR" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "topology: $lab: server address $TOPO_SRV_ADDR unreachable from the client namespace" >&2
	topo_down "$lab"
	return 1
}

# With TOPO_NAPI=threaded: pin each side's NAPI kthreads (napi/<ifname>-<id>)
# to that side's CPUs. Call it once the server runs (an XDP program attached
# at start gives veth-srv a new NAPI instance and kthread). The kthreads are
# found by interface name: in a sweep only one lab exists at a time.
topo_pin_napi() { # lab srv_cpus cli_cpus
	local lab=$1 srv_cpus=$2 cli_cpus=$3 pid name n=0
	[ "${TOPO_NAPI:-inline}" = threaded ] || return 0
	for pid in $(pgrep '^napi/veth-'); do
		name=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
		case $name in
		napi/$TOPO_SRV_IF-*) taskset -pc "$srv_cpus" "$pid" >/dev/null && n=$((n + 1)) ;;
		napi/$TOPO_CLI_IF-*) taskset -pc "$cli_cpus" "$pid" >/dev/null && n=$((n + 1)) ;;
		esac
	done
	[ "$n" -ge 2 ] || { echo "topology: $lab: threaded NAPI asked, $n NAPI kthreads found to pin" >&2; return 1; }
}

_topo_rps() { # ns ifc 0|1
	local ns=$1 ifc=$2 on=$3 mask=0 q
	[ "$on" = 1 ] && mask=$(printf '%x' $(((1 << $(nproc)) - 1)))
	for q in /sys/class/net/"$ifc"/queues/rx-*/rps_cpus; do
		ip netns exec "$ns" sh -c "[ -e $q ] && echo $mask > $q" 2>/dev/null || true
	done
}

topo_down() {
	local lab=$1 ns pid
	for ns in "$lab-srv" "$lab-cli"; do
		ip netns list 2>/dev/null | grep -qw "^$ns" || continue
		# Processes left inside (a server that did not stop) go first, then XDP
		# programs on the interfaces, then the namespace itself.
		local left
		left=$(ip netns pids "$ns" 2>/dev/null)
		if [ -n "$left" ]; then # (the wait only when something is left: sweeps call this per run)
			for pid in $left; do kill -TERM "$pid" 2>/dev/null; done
			sleep 0.2
			for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
		fi
		for ifc in $TOPO_SRV_IF $TOPO_CLI_IF; do
			ip -n "$ns" link set dev "$ifc" xdp off 2>/dev/null || true
		done
		ip netns delete "$ns" 2>/dev/null || true
	done
	return 0
}
