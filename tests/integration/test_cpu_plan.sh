#!/usr/bin/env bash
# The CPU plan of machines this is not (scripts/lib/cpu-plan.sh), through the
# sweep's own DRY_RUN=1 with SIMULATE_*: the code a real run uses, fed with
# another machine's facts. 4, 16 and 64 CPUs, two NUMA nodes (also
# interleaved, as many two-socket machines number them), the NIC on either
# node, two hosts; the CPU lists are checked exactly. Then the bad inputs.
# No root, nothing runs. Checks behaviour, never speed.
set -u
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d /tmp/bb-test-plan.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

passed=0 failed=0
check() { # name command...
	local name=$1
	shift
	if "$@"; then echo "ok - $name"; passed=$((passed + 1)); else echo "not ok - $name"; failed=$((failed + 1)); fi
}
has() { grep -qxF -- "$2" "$1" || { echo "  no line '$2' in:"; sed 's/^/  | /' "$1"; return 1; }; }

plan() { # name VAR=value... : the plan lines of a dry run into $tmp/name
	local name=$1
	shift
	env -u SERVER_HOST -u CLIENT_HOST -u SERVER_IFNAME -u CLIENT_IFNAME -u CLIENT_CORES -u CLIENT_CPUS -u MAX_CORES \
		DRY_RUN=1 SERVERS=epoll SWEEP=cores MODES=keepalive REPS=1 OUT="$tmp/x.csv" "$@" \
		scripts/sweep.sh >"$tmp/$name.all" 2>&1
	local rc=$?
	grep '^plan: ' "$tmp/$name.all" >"$tmp/$name"
	return $rc
}

echo "# 4 CPUs, one node, the lab"
plan p4 SIMULATE_NCPUS=4
check "exits 0" [ $? = 0 ]
check "one host" has "$tmp/p4" "plan: one host (simulated): 4 CPUs, NUMA nodes: 0-3; NIC none"
check "server CPUs 0-1" has "$tmp/p4" "plan: server CPUs 0-1 (2, taken in this order)"
check "client CPUs 2-3" has "$tmp/p4" "plan: client CPUs 2-3 (2, one loadgen thread each)"
check "lab queues" has "$tmp/p4" "plan: queues: 1 (the lab's veth)"
check "cores sweep 1..2" [ "$(grep '^plan: w=' "$tmp/p4" | tr '\n' '|')" = "plan: w=1 server_cpus=0 queues=1 nodes=0|plan: w=2 server_cpus=0-1 queues=1 nodes=0|" ]
check "every point of the cores sweep listed" [ "$(grep -c '^epoll [12] keepalive ' "$tmp/p4.all")" = 2 ]

echo "# 16 CPUs, one node"
plan p16 SIMULATE_NCPUS=16
check "server CPUs 0-7" has "$tmp/p16" "plan: server CPUs 0-7 (8, taken in this order)"
check "client CPUs 8-15" has "$tmp/p16" "plan: client CPUs 8-15 (8, one loadgen thread each)"
check "8 core counts" [ "$(grep -c '^plan: w=' "$tmp/p16")" = 8 ]
check "w=8" has "$tmp/p16" "plan: w=8 server_cpus=0-7 queues=1 nodes=0"
plan p16c SIMULATE_NCPUS=16 CLIENT_CORES=4 MAX_CORES=6
check "CLIENT_CORES=4: client CPUs 12-15" has "$tmp/p16c" "plan: client CPUs 12-15 (4, one loadgen thread each)"
check "MAX_CORES=6 caps the sweep" [ "$(grep '^plan: w=' "$tmp/p16c" | tail -n 1)" = "plan: w=6 server_cpus=0-5 queues=1 nodes=0" ]
plan p16l SIMULATE_NCPUS=16 CLIENT_CPUS=0-3
check "CLIENT_CPUS=0-3: the server takes the others" has "$tmp/p16l" "plan: server CPUs 4-15 (12, taken in this order)"

echo "# 64 CPUs, two NUMA nodes"
plan p64 SIMULATE_NCPUS=64 "SIMULATE_NUMA=0-31 32-63" SIMULATE_NIC_NODE=1
check "described" has "$tmp/p64" "plan: one host (simulated): 64 CPUs, NUMA nodes: 0-31 32-63; NIC on node 1"
check "server on the NIC's node" has "$tmp/p64" "plan: server CPUs 32-63 (32, taken in this order)"
check "client on the other" has "$tmp/p64" "plan: client CPUs 0-31 (32, one loadgen thread each)"
check "w=1 on node 1" has "$tmp/p64" "plan: w=1 server_cpus=32 queues=1 nodes=1"
check "w=32 on node 1" has "$tmp/p64" "plan: w=32 server_cpus=32-63 queues=1 nodes=1"
plan p64n0 SIMULATE_NCPUS=64 "SIMULATE_NUMA=0-31 32-63" SIMULATE_NIC_NODE=0 CLIENT_CORES=16
check "NIC on node 0, 16 client cores: server 0-47" has "$tmp/p64n0" "plan: server CPUs 0-47 (48, taken in this order)"
check "client 48-63" has "$tmp/p64n0" "plan: client CPUs 48-63 (16, one loadgen thread each)"
check "w=32 still on node 0" has "$tmp/p64n0" "plan: w=32 server_cpus=0-31 queues=1 nodes=0"
check "w=33 crosses to node 1" has "$tmp/p64n0" "plan: w=33 server_cpus=0-32 queues=1 nodes=0+1"
plan p64i SIMULATE_NCPUS=64 "SIMULATE_NUMA=0-15,32-47 16-31,48-63" SIMULATE_NIC_NODE=1
check "interleaved nodes: server on node 1" has "$tmp/p64i" "plan: server CPUs 16-31,48-63 (32, taken in this order)"
check "interleaved nodes: client on node 0" has "$tmp/p64i" "plan: client CPUs 0-15,32-47 (32, one loadgen thread each)"
check "interleaved nodes: w=17" has "$tmp/p64i" "plan: w=17 server_cpus=16-31,48 queues=1 nodes=1"

echo "# two hosts"
plan p2h SIMULATE_NCPUS=64 "SIMULATE_NUMA=0-31 32-63" SIMULATE_NIC_NODE=1 \
	SIMULATE_CLIENT_NCPUS=16 "SIMULATE_CLIENT_NUMA=0-7 8-15" SIMULATE_CLIENT_NIC_NODE=1 \
	SERVER_HOST=srv.example CLIENT_HOST=cli.example SERVER_ADDR=10.0.0.1 SERVER_IFNAME=ens1f0 CLIENT_IFNAME=ens2f0
check "exits 0" [ $? = 0 ]
check "two hosts" has "$tmp/p2h" "plan: two hosts (simulated)"
check "server host" has "$tmp/p2h" "plan: server host srv.example: 64 CPUs, NUMA nodes: 0-31 32-63; NIC ens1f0 on node 1"
check "client host" has "$tmp/p2h" "plan: client host cli.example: 16 CPUs, NUMA nodes: 0-7 8-15; NIC ens2f0 on node 1"
check "every server host CPU to the server, NIC's node first" has "$tmp/p2h" "plan: server CPUs 32-63,0-31 (64, taken in this order)"
check "every client host CPU to the client" has "$tmp/p2h" "plan: client CPUs 0-15 (16, one loadgen thread each)"
check "a queue per server core" grep -q '^plan: queues: one combined queue per server core on ens1f0' "$tmp/p2h"
check "64 core counts" [ "$(grep -c '^plan: w=' "$tmp/p2h")" = 64 ]
check "w=2" has "$tmp/p2h" "plan: w=2 server_cpus=32-33 queues=2 nodes=1"
check "w=40 crosses to node 0" has "$tmp/p2h" "plan: w=40 server_cpus=32-63,0-7 queues=40 nodes=1+0"
plan p2hc SIMULATE_NCPUS=8 SIMULATE_CLIENT_NCPUS=16 "SIMULATE_CLIENT_NUMA=0-7 8-15" SIMULATE_CLIENT_NIC_NODE=1 \
	CLIENT_CORES=4 SERVER_HOST=a CLIENT_HOST=b SERVER_IFNAME=eth1 CLIENT_IFNAME=eth1
check "CLIENT_CORES=4 on two hosts: the client NIC's node" has "$tmp/p2hc" "plan: client CPUs 8-11 (4, one loadgen thread each)"
check "server host: all 8" has "$tmp/p2hc" "plan: server CPUs 0-7 (8, taken in this order)"

echo "# bad input: one line, exit non-zero"
bad() { # expected-message VAR=value...
	local want=$1
	shift
	env DRY_RUN=1 SERVERS=epoll SWEEP=cores REPS=1 OUT="$tmp/x.csv" "$@" scripts/sweep.sh >"$tmp/bad" 2>&1
	local rc=$?
	[ "$rc" != 0 ] && [ "$(wc -l <"$tmp/bad")" = 1 ] && grep -qF -- "$want" "$tmp/bad" ||
		{ echo "  exit $rc:"; sed 's/^/  | /' "$tmp/bad"; return 1; }
}
check "SIMULATE_NCPUS not a number" bad "SIMULATE_NCPUS must be a positive number of CPUs, not 'many'" SIMULATE_NCPUS=many
check "a CPU in two nodes" bad "CPU 31 is in two NUMA nodes" SIMULATE_NCPUS=64 "SIMULATE_NUMA=0-31 31-63"
check "a node past the machine" bad "NUMA node 1 has CPU 64, the machine has CPUs 0-63" SIMULATE_NCPUS=64 "SIMULATE_NUMA=0-31 32-64"
check "the NIC on no node" bad "the NIC's node must be one of the 2 NUMA nodes (0-1), not '2'" SIMULATE_NCPUS=64 "SIMULATE_NUMA=0-31 32-63" SIMULATE_NIC_NODE=2
check "CLIENT_CORES above the machine" bad "CLIENT_CORES must be 1..4" SIMULATE_NCPUS=4 CLIENT_CORES=5
check "a simulation never runs" bad "SIMULATE_* describe a machine this is not: only with DRY_RUN=1" SIMULATE_NCPUS=64 DRY_RUN=0
rm -f "$tmp/rp.csv"
SIMULATE_NCPUS=64 scripts/run-point.sh --server epoll --csv "$tmp/rp.csv" >"$tmp/rp" 2>&1
check "run-point refuses a simulated machine too (the same plan code)" grep -q 'SIMULATE_\* describe a machine this is not' "$tmp/rp"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
