# shellcheck shell=bash
# Which CPUs each side gets: the CPU plan of a run or a sweep (sourced by
# common.sh). One function turns a machine's facts (its CPUs, its NUMA nodes,
# the node of the NIC) into the split, so the sweep, run-point and a simulated
# big machine all go through the same code:
#
#   cpu_split            facts of both sides -> the split (sets the variables below)
#   server_cpus_for W    the server CPUs of a point with W workers
#   plan_queues W        the queue count of that point
#   plan_print MAX       the plan in words ("plan: ..." lines), every core count 1..MAX
#
# The rules (ARCHITECTURE.md, "CPU split"):
#   - one host: the load generator gets CLIENT_CORES CPUs (default half, at
#     least one), the server the others; the server's come from the NIC's NUMA
#     node first (its interrupts and its DMA are there), the client's from the
#     far end of that order. Without a NIC (the lab) or NUMA information that
#     is the first CPUs for the server and the last ones for the client.
#   - two hosts: the server host's CPUs all go to the server and the client
#     host's to the client, each NIC's node first.
#   - worker i of a point runs on the i-th CPU of server_cpus_for W, and queue
#     i's interrupt goes to that CPU too (scripts/lib/nic-setup.sh).
#
# A machine that is not this one (DRY_RUN=1 only, nothing is contacted):
#   SIMULATE_NCPUS=N            the server host's CPUs, 0..N-1
#   SIMULATE_NUMA="0-31 32-63"  its NUMA nodes' CPU lists, node 0 first (default one node)
#   SIMULATE_NIC_NODE=1         the node of SERVER_IFNAME's NIC (default none)
#   SIMULATE_CLIENT_NCPUS / SIMULATE_CLIENT_NUMA / SIMULATE_CLIENT_NIC_NODE
#                               the client host's, on two hosts (default: the server's)
#
# Sets: SRV_NPROC CLI_NPROC CLIENT_CORES CLIENT_CPUS MAX_SERVER_CORES
#       SERVER_CPU_ORDER (every server CPU, in the order points take them)
#       PLAN_TWO_HOSTS (0|1) PLAN_SRV_FACTS PLAN_CLI_FACTS

plan_simulated() { [ -n "${SIMULATE_NCPUS:-}${SIMULATE_NUMA:-}${SIMULATE_NIC_NODE:-}${SIMULATE_CLIENT_NCPUS:-}" ]; }

# Two machines: the sides run on different hosts (one of them may be this one).
# With CLIENT_HOSTS the client side is the first host, whose CPUs count for
# every client host; the server must be none of them.
plan_two_hosts() {
	[ "$(side_host srv)" != "$(side_host cli)" ] && ! client_hosts | grep -qxF "$(side_host srv)"
}

# The facts of one side, one per line:
#   allowed LIST        the CPUs this side may use (its Cpus_allowed_list)
#   node N LIST         each NUMA node's CPUs
#   nic_node N          the NIC's node, -1 when unknown or none
_plan_read_facts() { # side ifname
	run_side "$1" sh -c '
		echo "allowed $(sed -n "s/^Cpus_allowed_list:[[:space:]]*//p" /proc/self/status)"
		for n in /sys/devices/system/node/node[0-9]*; do
			[ -r "$n/cpulist" ] && echo "node ${n##*/node} $(cat "$n/cpulist")"
		done
		nn=-1
		[ -n "$1" ] && [ -r "/sys/class/net/$1/device/numa_node" ] && nn=$(cat "/sys/class/net/$1/device/numa_node")
		echo "nic_node $nn"' sh "$2"
}

_plan_simulated_facts() { # ncpus numa nic_node what
	local n=$1 numa=$2 nic=$3 what=$4 i=0 l c seen=" "
	[[ $n =~ ^[1-9][0-9]*$ ]] || bb_die "$what: SIMULATE_NCPUS must be a positive number of CPUs, not '$n'"
	echo "allowed 0-$((n - 1))"
	[ -n "$numa" ] || numa=0-$((n - 1))
	for l in $numa; do
		[[ $l =~ ^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$ ]] || bb_die "$what: NUMA node $i's CPU list '$l' is not a CPU list (0-31,64-95)"
		for c in $(cpu_list_expand "$l"); do
			[ "$c" -lt "$n" ] || bb_die "$what: NUMA node $i has CPU $c, the machine has CPUs 0-$((n - 1))"
			[[ $seen == *" $c "* ]] && bb_die "$what: CPU $c is in two NUMA nodes"
			seen+="$c "
		done
		echo "node $i $l"
		i=$((i + 1))
	done
	[ -z "$nic" ] && nic=-1
	[[ $nic =~ ^-?[0-9]+$ ]] && { [ "$nic" = -1 ] || [ "$nic" -lt "$i" ]; } ||
		bb_die "$what: the NIC's node must be one of the $i NUMA nodes (0-$((i - 1))), not '$nic'"
	echo "nic_node $nic"
}

_plan_facts() { # srv|cli
	local side=$1 ifname what
	if [ "$side" = srv ]; then ifname=${SERVER_IFNAME:-}; else ifname=${CLIENT_IFNAME:-}; fi
	if plan_simulated; then
		[ "${DRY_RUN:-0}" = 1 ] || bb_die "SIMULATE_* describe a machine this is not: only with DRY_RUN=1"
		if [ "$side" = srv ]; then
			_plan_simulated_facts "${SIMULATE_NCPUS:-}" "${SIMULATE_NUMA:-}" "${SIMULATE_NIC_NODE:-}" SIMULATE
		else
			what=SIMULATE_CLIENT
			# The client host is the server's twin unless described.
			if [ -n "${SIMULATE_CLIENT_NCPUS:-}" ]; then
				_plan_simulated_facts "$SIMULATE_CLIENT_NCPUS" "${SIMULATE_CLIENT_NUMA:-}" "${SIMULATE_CLIENT_NIC_NODE:-}" "$what"
			else
				_plan_simulated_facts "${SIMULATE_NCPUS:-}" "${SIMULATE_CLIENT_NUMA:-${SIMULATE_NUMA:-}}" \
					"${SIMULATE_CLIENT_NIC_NODE:-${SIMULATE_NIC_NODE:-}}" "$what"
			fi
		fi
	else
		_plan_read_facts "$side" "$ifname" || bb_die "cannot read the $side side's CPUs"
	fi
}

# Every CPU of a side in the order the side takes them: the NIC's node first,
# then the other nodes in order; only CPUs the side may use.
_plan_order() { # facts
	local facts=$1 allowed nic key a b out="" c
	allowed=" $(cpu_list_expand "$(printf '%s\n' "$facts" | sed -n 's/^allowed //p')") "
	nic=$(printf '%s\n' "$facts" | sed -n 's/^nic_node //p')
	local -a lists=()
	while read -r key a b; do
		[ "$key" = node ] || continue
		if [ "$a" = "${nic:--1}" ]; then lists=("$b" "${lists[@]}"); else lists+=("$b"); fi
	done <<<"$facts"
	[ ${#lists[@]} -gt 0 ] || lists=("${allowed// /,}")
	for a in "${lists[@]}"; do
		for c in $(cpu_list_expand "$a"); do
			[[ $allowed == *" $c "* ]] && [[ " $out " != *" $c "* ]] && out+="$c "
		done
	done
	printf '%s' "${out% }"
}

# "32 33 34 0 1" -> "32-34,0-1": consecutive runs folded, the order kept.
cpu_list_compress() { local _l; _cpu_list_compress_to _l "$@"; printf '%s' "$_l"; }

# The same into variable VAR (no subshell: the plan of a big machine calls it often).
_cpu_list_compress_to() { # VAR cpus...
	local -n _to=$1
	local out="" start="" prev="" c
	shift
	for c in "$@" end; do
		if [ -n "$prev" ] && [ "$c" = $((prev + 1)) ]; then prev=$c; continue; fi
		if [ -n "$start" ]; then
			if [ "$start" = "$prev" ]; then out+="$start,"; else out+="$start-$prev,"; fi
		fi
		start=$c prev=$c
	done
	_to=${out%,}
}

cpu_split() {
	local srv_order cli_order c
	PLAN_SRV_FACTS=$(_plan_facts srv) || exit 1
	srv_order=$(_plan_order "$PLAN_SRV_FACTS")
	set -- $srv_order
	SRV_NPROC=$#
	if plan_two_hosts; then
		PLAN_TWO_HOSTS=1
		PLAN_CLI_FACTS=$(_plan_facts cli) || exit 1
		cli_order=$(_plan_order "$PLAN_CLI_FACTS")
		SERVER_CPU_ORDER=$srv_order
	else
		PLAN_TWO_HOSTS=0
		PLAN_CLI_FACTS=$PLAN_SRV_FACTS
		cli_order=$srv_order
	fi
	set -- $cli_order
	CLI_NPROC=$#
	if [ -n "${CLIENT_CPUS:-}" ]; then
		CLIENT_CORES=$(cpu_list_count "$CLIENT_CPUS")
	else
		if [ -z "${CLIENT_CORES:-}" ]; then
			CLIENT_CORES=$((CLI_NPROC / 2))
			[ "$PLAN_TWO_HOSTS" = 1 ] && CLIENT_CORES=$CLI_NPROC
			[ "$CLIENT_CORES" -ge 1 ] || CLIENT_CORES=1
		fi
		[[ $CLIENT_CORES =~ ^[1-9][0-9]*$ ]] && [ "$CLIENT_CORES" -le "$CLI_NPROC" ] ||
			bb_die "CLIENT_CORES must be 1..$CLI_NPROC (the client side's CPUs), not '$CLIENT_CORES'"
		set -- $cli_order
		if [ "$PLAN_TWO_HOSTS" = 1 ]; then
			set -- "${@:1:CLIENT_CORES}"
		else
			set -- "${@:$((CLI_NPROC - CLIENT_CORES + 1))}"
		fi
		# shellcheck disable=SC2046 # one CPU per word
		CLIENT_CPUS=$(cpu_list_compress $(printf '%s\n' "$@" | sort -n))
	fi
	if [ "$PLAN_TWO_HOSTS" = 0 ]; then
		SERVER_CPU_ORDER=""
		local client
		client=" $(cpu_list_expand "$CLIENT_CPUS") "
		for c in $srv_order; do
			[[ $client == *" $c "* ]] || SERVER_CPU_ORDER+="$c "
		done
		SERVER_CPU_ORDER=${SERVER_CPU_ORDER% }
	fi
	set -- $SERVER_CPU_ORDER
	MAX_SERVER_CORES=$#
	[ "$MAX_SERVER_CORES" -ge 1 ] || bb_die "no CPU left for the server ($SRV_NPROC CPUs, $CLIENT_CORES for the client)"
}

# Server CPUs for W workers: the first W of the plan's order.
server_cpus_for() {
	local -a order
	read -ra order <<<"${SERVER_CPU_ORDER:-}"
	[ "$1" -le ${#order[@]} ] || { echo "$1 server cores asked, the plan has ${#order[@]}" >&2; return 1; }
	cpu_list_compress "${order[@]:0:$1}"
}

# A real NIC gets one combined queue per server core (nic-setup.sh). The lab's
# veth has one, except under httpd-xdp, whose workers each bind one queue (a
# worker without its queue has nothing to serve); SERVER is a name or path
# (servers.sh), given where the server is known.
plan_real_nic() { is_remote && [ -n "${SERVER_IFNAME:-}" ]; }
plan_queues() { # W [SERVER]
	if plan_real_nic || { [ -n "${2:-}" ] && server_is_xdp "$2"; }; then
		echo "$1"
	else
		echo 1
	fi
}

# The NUMA nodes a CPU list lies on, in the order its CPUs take them: "1" or
# "1+0", into VAR. PLAN_NODE_OF (CPU -> node) is filled from the facts first.
_plan_nodes_to() { # VAR cpus...
	local -n _nto=$1
	local c n out="+"
	shift
	for c in "$@"; do
		n=${PLAN_NODE_OF[$c]:-?}
		[[ $out == *"+$n+"* ]] || out+="$n+"
	done
	out=${out#+}
	_nto=${out%+}
}

_plan_describe() { # facts ifname
	local facts=$1 ifname=$2 nodes nic
	nodes=$(printf '%s\n' "$facts" | awk '$1 == "node" { printf "%s%s", n++ ? " " : "", $3 }')
	nic=$(printf '%s\n' "$facts" | sed -n 's/^nic_node //p')
	printf '%s CPUs, NUMA nodes: %s; NIC' "$(cpu_list_count "$(printf '%s\n' "$facts" | sed -n 's/^allowed //p')")" \
		"${nodes:-unknown}"
	[ -n "$ifname" ] && printf ' %s' "$ifname"
	if [ "${nic:--1}" != -1 ]; then printf ' on node %s\n' "$nic"
	elif [ -n "$ifname" ]; then printf ' (node unknown)\n'
	else printf ' none\n'; fi
}

plan_print() { # max_cores
	local max=$1 w cpus sim=""
	plan_simulated && sim=" (simulated)"
	if [ "$PLAN_TWO_HOSTS" = 1 ]; then
		echo "plan: two hosts$sim"
		echo "plan: server host ${SERVER_HOST:-(this one)}: $(_plan_describe "$PLAN_SRV_FACTS" "${SERVER_IFNAME:-}")"
		echo "plan: client host ${CLIENT_HOST:-${CLIENT_HOSTS:-(this one)}}: $(_plan_describe "$PLAN_CLI_FACTS" "${CLIENT_IFNAME:-}")"
	else
		echo "plan: one host$sim: $(_plan_describe "$PLAN_SRV_FACTS" "${SERVER_IFNAME:-}")"
	fi
	echo "plan: server CPUs $(cpu_list_compress $SERVER_CPU_ORDER) ($MAX_SERVER_CORES, taken in this order)"
	echo "plan: client CPUs $CLIENT_CPUS ($CLIENT_CORES, one loadgen thread each)"
	if plan_real_nic; then
		echo "plan: queues: one combined queue per server core on $SERVER_IFNAME, queue i's IRQ and XPS on server CPU i (scripts/lib/nic-setup.sh)"
	else
		echo "plan: queues: 1 (the lab's veth)"
	fi
	local -A PLAN_NODE_OF=()
	local key n l c
	while read -r key n l; do
		[ "$key" = node ] || continue
		for c in $(cpu_list_expand "$l"); do PLAN_NODE_OF[$c]=$n; done
	done <<<"$PLAN_SRV_FACTS"
	local -a order
	read -ra order <<<"$SERVER_CPU_ORDER"
	[ "$max" -le ${#order[@]} ] || { echo "$max server cores asked, the plan has ${#order[@]}" >&2; return 1; }
	local real=0 cpus nodes
	plan_real_nic && real=1
	for ((w = 1; w <= max; w++)); do
		_cpu_list_compress_to cpus "${order[@]:0:w}"
		_plan_nodes_to nodes "${order[@]:0:w}"
		echo "plan: w=$w server_cpus=$cpus queues=$((real ? w : 1)) nodes=$nodes"
	done
}
