#!/usr/bin/env bash
# scripts/lib/nic-setup.sh against a stand-in NIC (no root, no real NIC touched):
# a /sys and /proc tree with a 4-queue i40e-like "eth9" (its queue IRQs named
# in a fake /proc/interrupts, a misc IRQ and another device's beside them),
# and a stand-in `ethtool` and `systemctl` on PATH that keep state in the tree
# and record their calls.
#   1. apply for 2 server cores: queues, RSS, IRQ affinities, XPS, irqbalance,
#      labels; a busy variant's knobs; CPUs past 31 (a mask of two words);
#   2. restore: everything as it was, twice is harmless;
#   3. Ctrl-C (SIGINT) in the middle of apply: everything as it was;
#   4. a setting that fails: one line, exit 1, nothing half-set after restore;
#   5. the sweep (stand-in ssh and run-point): saved before the first point,
#      restored when the sweep is interrupted.
# Checks behaviour, never speed.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
NIC=$ROOT/scripts/lib/nic-setup.sh

tmp=$(mktemp -d /tmp/bb-test-nic.XXXXXX) || exit 1
bg_pid=""
cleanup() {
	[ -n "$bg_pid" ] && kill -TERM -- "-$bg_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

passed=0 failed=0
check() { # name command...
	local name=$1
	shift
	if "$@"; then echo "ok - $name"; passed=$((passed + 1)); else echo "not ok - $name"; failed=$((failed + 1)); fi
}
is() { [ "$1" = "$2" ] || { echo "  got '$1', want '$2'"; return 1; }; }

# --- the stand-in NIC ---------------------------------------------------------------
source tests/integration/fake_nic.sh
fake_nic_init "$tmp" eth9
T=$FAKE_TREE
make_tree() { fake_nic_tree; }
NET=$T/sys/class/net/eth9
STATE=$tmp/eth9.state
snapshot() { fake_nic_snapshot; }
make_tree
snapshot >"$tmp/before"

# --- 1. apply for 2 server cores -------------------------------------------------------
echo "# apply --cpus 0-1"
"$NIC" apply --ifname eth9 --state "$STATE" --cpus 0-1 >"$tmp/labels" 2>"$tmp/err"
rc=$?
sed 's/^/  | /' "$tmp/labels" "$tmp/err"
check "apply exits 0" is "$rc" 0
check "state saved" test -s "$STATE"
check "ethtool -L eth9 combined 2" grep -qx 'ethtool -L eth9 combined 2' "$T/calls"
check "2 combined queues" is "$(cat "$T/state/combined")" 2
check "RSS on the 4-tuple (ethtool -N eth9 rx-flow-hash tcp4 sdfn)" grep -qx 'ethtool -N eth9 rx-flow-hash tcp4 sdfn' "$T/calls"
check "queue 0's IRQ (41) on CPU 0" is "$(cat "$T/proc/irq/41/smp_affinity_list")" 0
check "queue 1's IRQ (42) on CPU 1" is "$(cat "$T/proc/irq/42/smp_affinity_list")" 1
check "queues 2-3 IRQs, misc and another device's untouched" \
	is "$(cat "$T"/proc/irq/{43,44,40,30}/smp_affinity_list | tr '\n' ' ')" "0-3 0-3 0-3 0-3 "
check "XPS tx-0 = CPU 0" is "$(cat "$NET/queues/tx-0/xps_cpus")" 1
check "XPS tx-1 = CPU 1" is "$(cat "$NET/queues/tx-1/xps_cpus")" 2
check "irqbalance stopped (systemctl stop irqbalance)" grep -qx 'systemctl stop irqbalance' "$T/calls"
check "busy knobs as they were (not a busy variant)" is "$(cat "$NET/napi_defer_hard_irqs") $(cat "$NET/gro_flush_timeout")" "0 0"
check "labels for the row" is "$(tr '\n' ' ' <"$tmp/labels")" \
	"nic_queues=2 nic_irq_cpus=0/1 nic_xps_cpus=0/1 nic_rss_tcp4=sdfn irqbalance=off "

echo "# apply again: a busy variant on CPUs 1,33 (the state keeps the first values)"
"$NIC" apply --ifname eth9 --state "$STATE" --cpus 1,33 --busy 2:200000 >"$tmp/labels2" 2>"$tmp/err"
rc=$?
sed 's/^/  | /' "$tmp/err"
check "second apply exits 0" is "$rc" 0
check "busy knobs set" is "$(cat "$NET/napi_defer_hard_irqs") $(cat "$NET/gro_flush_timeout")" "2 200000"
check "queue 1's IRQ on CPU 33" is "$(cat "$T/proc/irq/42/smp_affinity_list")" 33
check "XPS of CPU 33: a two-word mask" is "$(cat "$NET/queues/tx-1/xps_cpus")" 2,00000000
check "XPS label reads it back" grep -qx 'nic_xps_cpus=1/33' "$tmp/labels2"
check "no second ethtool -L (2 queues already)" is "$(grep -c 'ethtool -L' "$T/calls")" 1
check "state still holds the values from before" grep -qx 'combined=4' "$STATE"

# --- 2. restore ---------------------------------------------------------------------------
echo "# restore"
"$NIC" restore --state "$STATE" 2>"$tmp/err"
rc=$?
sed 's/^/  | /' "$tmp/err"
check "restore exits 0" is "$rc" 0
check "ethtool -L eth9 combined 4 back" grep -qx 'ethtool -L eth9 combined 4' "$T/calls"
check "RSS back (ethtool -N ... sd)" grep -qx 'ethtool -N eth9 rx-flow-hash tcp4 sd' "$T/calls"
check "irqbalance started again" grep -qx 'systemctl start irqbalance' "$T/calls"
snapshot >"$tmp/after"
check "every setting as before" diff "$tmp/before" "$tmp/after"
check "state file removed" test ! -e "$STATE"
"$NIC" restore --state "$STATE"
check "a second restore does nothing" is "$?/$(wc -l <"$T/calls")" "0/$(wc -l <"$T/calls")"

# --- 3. Ctrl-C in the middle ------------------------------------------------------------------
echo "# SIGINT while apply waits for ethtool -N"
make_tree
# Its own group with SIGINT at default, as a job started at a terminal
# (a background job of a script starts with SIGINT ignored).
FAKE_SLOW_N=1 setsid env --default-signal=INT "$NIC" apply --ifname eth9 --state "$STATE" --cpus 0-1 >"$tmp/int.out" 2>&1 &
bg_pid=$!
for ((i = 0; i < 600; i++)); do [ -e "$T/slow-started" ] && break; sleep 0.1; done
check "apply reached ethtool -N (queues already changed)" is "$(cat "$T/state/combined")" 2
kill -INT "$bg_pid"
sleep 0.2
touch "$T/slow-release" # the shell runs its trap once ethtool returns
wait "$bg_pid"
rc=$?
bg_pid=""
sed 's/^/  | /' "$tmp/int.out"
check "interrupted apply exits 130" is "$rc" 130
rm -f "$T/slow-started" "$T/slow-release"
snapshot >"$tmp/after"
check "every setting as before" diff "$tmp/before" "$tmp/after"
check "state file removed" test ! -e "$STATE"

# --- 4. a setting that fails ------------------------------------------------------------------
echo "# a NIC without rx-flow-hash"
make_tree
FAKE_FAIL_N=1 "$NIC" apply --ifname eth9 --state "$STATE" --cpus 0-1 >/dev/null 2>"$tmp/err"
rc=$?
sed 's/^/  | /' "$tmp/err"
check "exit 1" is "$rc" 1
check "one line saying what failed" bash -c '[ "$(wc -l <"$1")" = 1 ] && grep -q "rx-flow-hash tcp4 sdfn (RSS on the 4-tuple) failed: Cannot change" "$1"' sh "$tmp/err"
"$NIC" restore --state "$STATE"
snapshot >"$tmp/after"
check "restore puts back what had changed" diff "$tmp/before" "$tmp/after"
"$NIC" apply --ifname eth9 --state "$STATE" --cpus 0-8 >/dev/null 2>"$tmp/err"
check "more cores than queues: refused" grep -q 'at most 8 combined queues, 9 server cores asked' "$tmp/err"
"$NIC" restore --state "$STATE"
"$NIC" apply --ifname nosuch0 --state "$STATE" --cpus 0 >/dev/null 2>"$tmp/err"
check "unknown interface: refused" grep -q 'nosuch0: no such interface' "$tmp/err"
mkdir -p "$T/sys/class/net/veth0"
check "a virtual interface is left alone" is "$("$NIC" apply --ifname veth0 --state "$STATE" --cpus 0)" nic_setup=virtual

# --- 5. the sweep ------------------------------------------------------------------------------
echo "# sweep on a stand-in server host, interrupted"
make_tree
# ssh HOST CMD: CMD here (the host is this machine).
mkdir -p "$tmp/bin"
export PATH=$tmp/bin:$PATH
cat >"$tmp/bin/ssh" <<'EOF'
#!/bin/sh
while [ $# -gt 0 ]; do case $1 in -o) shift 2 ;; -*) shift ;; *) break ;; esac; done
shift
exec sh -c "$*"
EOF
# run-point's part of the set-up (apply for the point's cores), then a long run.
cat >"$tmp/run-point" <<'EOF'
#!/bin/bash
while [ $# -gt 0 ]; do case $1 in --workers) w=$2 ;; esac; shift 2; done
echo "run-point: NIC_STATE=$NIC_STATE" >&2
scripts/lib/nic-setup.sh apply --ifname eth9 --state "$NIC_STATE" --cpus "0-$((w - 1))" >&2 || exit 3
touch "$FAKE_TREE/point-started"
exec sleep 30
EOF
chmod +x "$tmp/bin/ssh" "$tmp/run-point"
mkdir -p "$tmp/pages/tiny"
PAGES_DIR=$tmp/pages LOADGEN=/bin/true SERVERS=epoll SWEEP=cores MODES=keepalive MAX_CORES=2 REPS=1 \
	DURATION=1 WARMUP=0 NO_PLOTS=1 BASE_PAGESET=tiny PAGESETS=tiny OUT=$tmp/sweep/s.csv RUN_POINT=$tmp/run-point \
	SERVER_HOST=fakesrv CLIENT_HOST=fakecli SERVER_ADDR=198.18.0.1 SERVER_IFNAME=eth9 \
	NIC_STATE=$STATE \
	setsid env --default-signal=INT scripts/sweep.sh >"$tmp/sweep.out" 2>&1 &
bg_pid=$!
for ((i = 0; i < 600; i++)); do [ -e "$T/point-started" ] && break; sleep 0.1; done
check "a point ran with the set-up applied" is "$(cat "$T/state/combined")" 1
check "the sweep checked the largest point first (2 queues)" grep -qx 'ethtool -L eth9 combined 2' "$T/calls"
kill -INT -- "-$bg_pid"
wait "$bg_pid"
rc=$?
bg_pid=""
sed 's/^/  | /' "$tmp/sweep.out" | tail -n 12
check "sweep exit 130" is "$rc" 130
snapshot >"$tmp/after"
check "every setting as before" diff "$tmp/before" "$tmp/after"
check "state file removed" test ! -e "$STATE"
check "machine file: the NIC section with the values from before" \
	grep -q '^combined=4$' "$tmp/sweep/machine-$(hostname).txt"
check "machine file: the set-up as checked before any load" \
	grep -q '^nic_irq_cpus=0/1$' "$tmp/sweep/machine-$(hostname).txt"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
