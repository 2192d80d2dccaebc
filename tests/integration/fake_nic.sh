# shellcheck shell=bash
# A stand-in NIC for the tests of scripts/lib/nic-setup.sh (sourced): a /sys
# and /proc tree with one 4-queue i40e-like interface (its queue IRQs named in
# a fake /proc/interrupts, a misc IRQ and another device's queue IRQ beside
# them), and a stand-in `ethtool` and `systemctl` that keep their state in the
# tree and append each call to $FAKE_TREE/calls. No root, nothing real touched.
#
#   fake_nic_init DIR IFNAME   sets FAKE_TREE, puts the stand-ins first on PATH,
#                              points NIC_SYSFS/NIC_PROCFS at the tree (exported)
#   fake_nic_tree              (re)builds the tree as it is before any set-up:
#                              4 combined queues (8 at most), RSS tcp4 "sd",
#                              IRQs 41-44 of queues 0-3 on CPUs 0-3, XPS of
#                              tx-0 0000000f, irqbalance active
#   fake_nic_snapshot          every setting, one line each (compare two)

fake_nic_init() { # dir ifname
	FAKE_NIC_BIN=$1/fake-nic-bin
	FAKE_IF=$2
	export FAKE_TREE=$1/fake-nic-tree NIC_SYSFS=$1/fake-nic-tree/sys NIC_PROCFS=$1/fake-nic-tree/proc NIC_LINK_WAIT=1
	export PATH=$FAKE_NIC_BIN:$PATH
	mkdir -p "$FAKE_NIC_BIN"
	# A stand-in ethtool: -l/-L (combined channels), -n/-N rx-flow-hash tcp4.
	# FAKE_SLOW_N=1: -N says it started (slow-started), then waits for the test
	# to create slow-release (at most 10 s): a run to interrupt, at a known step.
	# FAKE_FAIL_N=1: -N fails as a driver without the feature does.
	cat >"$FAKE_NIC_BIN/ethtool" <<-'EOF'
	#!/bin/bash
	S=$FAKE_TREE/state
	echo "ethtool $*" >>"$FAKE_TREE/calls"
	case "$1 $3 $4" in
	"-l  ") printf 'Channel parameters for %s:\nPre-set maximums:\nRX:\t\tn/a\nTX:\t\tn/a\nOther:\t\t1\nCombined:\t8\nCurrent hardware settings:\nRX:\t\tn/a\nTX:\t\tn/a\nOther:\t\t1\nCombined:\t%s\n' "$2" "$(cat "$S/combined")" ;;
	"-L combined "*) echo "$4" >"$S/combined" ;;
	"-n rx-flow-hash tcp4")
		echo "TCP over IPV4 flows use these fields for computing Hash flow key:"
		r=$(cat "$S/rss")
		[[ $r == *s* ]] && echo "IP SA"
		[[ $r == *d* ]] && echo "IP DA"
		[[ $r == *f* ]] && echo "L4 bytes 0 & 1 [TCP/UDP src port]"
		[[ $r == *n* ]] && echo "L4 bytes 2 & 3 [TCP/UDP dst port]"
		true ;;
	"-N rx-flow-hash tcp4")
		[ -n "${FAKE_FAIL_N:-}" ] && { echo "Cannot change RX network flow hashing options: Operation not supported" >&2; exit 1; }
		if [ -n "${FAKE_SLOW_N:-}" ]; then
			touch "$FAKE_TREE/slow-started"
			for i in $(seq 100); do [ -e "$FAKE_TREE/slow-release" ] && break; sleep 0.1; done
		fi
		echo "$5" >"$S/rss" ;;
	*) echo "stand-in ethtool: unexpected: $*" >&2; exit 1 ;;
	esac
	EOF
	cat >"$FAKE_NIC_BIN/systemctl" <<-'EOF'
	#!/bin/bash
	echo "systemctl $*" >>"$FAKE_TREE/calls"
	S=$FAKE_TREE/state/irqbalance
	case "$*" in
	"is-active --quiet irqbalance") [ "$(cat "$S")" = active ] ;;
	"stop irqbalance") echo inactive >"$S" ;;
	"start irqbalance") echo active >"$S" ;;
	*) exit 1 ;;
	esac
	EOF
	chmod +x "$FAKE_NIC_BIN/ethtool" "$FAKE_NIC_BIN/systemctl"
	fake_nic_tree
}

fake_nic_tree() {
	local T=$FAKE_TREE net=$FAKE_TREE/sys/class/net/$FAKE_IF i irq
	rm -rf "$T"
	mkdir -p "$net/device/msi_irqs" "$T/proc" "$T/state"
	echo up >"$net/operstate"
	echo 0 >"$net/napi_defer_hard_irqs"
	echo 0 >"$net/gro_flush_timeout"
	for i in 0 1 2 3; do
		mkdir -p "$net/queues/tx-$i" "$net/queues/rx-$i"
		echo 00000000 >"$net/queues/tx-$i/xps_cpus"
	done
	echo 0000000f >"$net/queues/tx-0/xps_cpus"
	{
		echo "            CPU0       CPU1       CPU2       CPU3"
		echo "  30:          5          0          0          0  IR-PCI-MSI 2048-edge  ens8-TxRx-0"
		echo "  40:          1          0          0          0  IR-PCI-MSI 1048576-edge  i40e-0000:01:00.0:misc"
		for i in 0 1 2 3; do
			echo "  4$((i + 1)):       100        200          0          0  IR-PCI-MSI 104857$((i + 7))-edge  i40e-$FAKE_IF-TxRx-$i"
		done
	} >"$T/proc/interrupts"
	for irq in 30 40 41 42 43 44; do
		mkdir -p "$T/proc/irq/$irq"
		echo 0-3 >"$T/proc/irq/$irq/smp_affinity_list"
		[ "$irq" = 30 ] || touch "$net/device/msi_irqs/$irq"
	done
	echo 4 >"$T/state/combined"
	echo sd >"$T/state/rss"
	echo active >"$T/state/irqbalance"
	: >"$T/calls"
}

fake_nic_snapshot() {
	local f net=$FAKE_TREE/sys/class/net/$FAKE_IF
	for f in "$FAKE_TREE"/state/* "$FAKE_TREE"/proc/irq/*/smp_affinity_list "$net"/queues/tx-*/xps_cpus \
		"$net"/napi_defer_hard_irqs "$net"/gro_flush_timeout; do
		echo "${f#"$FAKE_TREE"/} $(cat "$f")"
	done
}
