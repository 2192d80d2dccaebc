#!/usr/bin/env bash
# A real NIC made ready for a fair run, and put back as it was afterwards.
# Runs on the host that has the NIC (run-point.sh and sweep.sh call it there
# through run_side); docs/real-hardware.md says what each step is for.
#
#   nic-setup.sh save    --ifname IF --state FILE
#   nic-setup.sh apply   --ifname IF --state FILE --cpus LIST [--busy DEFER:TIMEOUT]
#   nic-setup.sh restore --state FILE
#   nic-setup.sh show    --ifname IF
#
# save     writes the interface's current settings to FILE, unless FILE exists
#          already: a state left by a run that died keeps the values from
#          before it, not the ones it set.
# apply    saves first (as above), then, for W = the CPUs of LIST:
#            ethtool -L IF combined W              one queue per server core
#            ethtool -N IF rx-flow-hash tcp4 sdfn  RSS on the 4-tuple
#            queue i's IRQs -> CPU i of LIST       /proc/irq/N/smp_affinity_list
#            tx queue i's XPS -> CPU i of LIST     /sys/class/net/IF/queues/tx-i/xps_cpus
#            irqbalance stopped                    systemctl stop, or SIGSTOP to its pid
#            napi_defer_hard_irqs, gro_flush_timeout (/sys/class/net/IF/): DEFER and
#                                                  TIMEOUT with --busy, else as saved
#          and reads every setting back. Interrupted (INT, TERM, HUP), it
#          restores FILE before it exits.
# restore  puts back what FILE holds, then removes it; no FILE: nothing to do.
#          Signals wait until it is done. Run it twice, the second does nothing.
# show     the settings as row labels, key=value per line: nic_queues,
#          nic_irq_cpus and nic_xps_cpus (queue 0's CPUs/queue 1's/...),
#          nic_rss_tcp4, irqbalance.
#
# An interface with no device behind it (veth, a bridge) is no NIC: apply and
# show print nic_setup=virtual and change nothing. A setting that fails or
# does not read back: one line on stderr, exit 1.
#
# Environment (tests point these at a stand-in tree): NIC_SYSFS (/sys),
# NIC_PROCFS (/proc); ethtool and systemctl are taken from PATH.
# NIC_IRQ_PATTERN: the extended regex (case-insensitive) whose group 2 is a
# queue's index in an IRQ's name in /proc/interrupts; the default knows
# i40e/ice/ixgbe/igc/bnxt ("-TxRx-3"), mlx5 ("mlx5_comp3@..."), virtio
# ("-input.3"), ena ("-Tx-Rx-3"). NIC_LINK_WAIT: seconds to wait for the link
# after a queue change (10).
set -u
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" # cpu_list_expand
SYSFS=${NIC_SYSFS:-/sys}
PROCFS=${NIC_PROCFS:-/proc}
IRQ_PATTERN=${NIC_IRQ_PATTERN:-(txrx|rx|tx|comp|input|output|fp)[-_.]?([0-9]+)(@.*)?$}
RSS_WANT=sdfn

die() { printf 'nic-setup: %s\n' "$*" >&2; exit 1; }

cmd=${1:-}
[ $# -gt 0 ] && shift
ifname="" state="" cpus="" busy=""
while [ $# -gt 0 ]; do
	case $1 in
	--ifname) ifname=${2:-} ;;
	--state) state=${2:-} ;;
	--cpus) cpus=${2:-} ;;
	--busy) busy=${2:-} ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option '$1' (--help)" ;;
	esac
	[ $# -ge 2 ] || die "option $1 needs a value"
	shift 2
done

NETDIR=$SYSFS/class/net/$ifname

# --- CPU lists and masks ---------------------------------------------------------
# CPU -> the mask the kernel writes for it: 32-bit words, comma-separated.
cpu_mask() {
	local c=$1 words=$(($1 / 32)) out i
	out=$(printf '%x' $((1 << (c % 32))))
	for ((i = 0; i < words; i++)); do out+=,00000000; done
	printf '%s' "$out"
}

# Mask ("00000000,00000014") -> CPU list ("2,4") into VAR, any width.
mask_cpus_to() { # VAR mask
	local -n _mc=$1
	local hex=${2//,/} out="" i d bit pos=0
	for ((i = ${#hex} - 1; i >= 0; i--)); do
		d=$((16#${hex:i:1}))
		for bit in 0 1 2 3; do
			[ $((d >> bit & 1)) = 1 ] && out+="$((pos + bit)),"
		done
		pos=$((pos + 4))
	done
	_mc=${out%,}
}


# --- reading the NIC ---------------------------------------------------------------
is_virtual() { [ ! -e "$NETDIR/device" ]; }

# A one-line file into VAR without a fork (a loaded host makes each fork slow).
readf() { # VAR file
	local -n _rf=$1
	_rf=""
	IFS= read -r _rf 2>/dev/null <"$2"
}

combined_now() { # the current combined channel count
	ethtool -l "$ifname" 2>/dev/null | awk '/^Current hardware settings/ { cur = 1 } cur && /^Combined:/ { print $2; exit }'
}
combined_max() {
	ethtool -l "$ifname" 2>/dev/null | awk '/^Pre-set maximums/ { m = 1 } /^Current/ { m = 0 } m && /^Combined:/ { print $2; exit }'
}

# The hash fields as ethtool -N takes them back (sdfn), "" if none or unknown.
rss_tcp4_now() {
	ethtool -n "$ifname" rx-flow-hash tcp4 2>/dev/null | awk '
		/^L2DA/ { s = s "m" } /^VLAN tag/ { s = s "v" } /^L3 proto/ { s = s "t" }
		/^IP SA/ { s = s "s" } /^IP DA/ { s = s "d" }
		/^L4 bytes 0 & 1/ { s = s "f" } /^L4 bytes 2 & 3/ { s = s "n" }
		END { print s }'
}

# Every IRQ of the device: its MSI vectors (a virtio NIC's are its PCI
# parent's), else the lines of /proc/interrupts that name the interface.
device_irqs() {
	if [ -d "$NETDIR/device/msi_irqs" ]; then
		ls "$NETDIR/device/msi_irqs" | sort -n
	elif [ -d "$NETDIR/device/../msi_irqs" ]; then
		ls "$NETDIR/device/../msi_irqs" | sort -n
	else
		awk -v ifc="$ifname" 'index($0, ifc) { sub(":", "", $1); print $1 }' "$PROCFS/interrupts"
	fi
}

# "IRQ QUEUE" per queue IRQ of the device, by the queue index in its name.
queue_irqs() {
	local irq name
	shopt -s nocasematch
	while read -r irq name; do
		[[ $name =~ $IRQ_PATTERN ]] && echo "$irq $((10#${BASH_REMATCH[2]}))"
	done < <(awk 'NR == FNR { want[$1] = 1; next } { n = $1; sub(":", "", n) } n in want { print n, $NF }' \
		<(device_irqs) "$PROCFS/interrupts")
	shopt -u nocasematch
}

# irqbalance as it runs now: "systemd" (an active unit), "pid:N", or "none".
irqbalance_now() {
	if command -v systemctl >/dev/null && systemctl is-active --quiet irqbalance 2>/dev/null; then
		echo systemd
		return
	fi
	local d comm
	for d in "$PROCFS"/[0-9]*; do
		comm="" # read, not cat: a host has thousands of processes
		read -r comm 2>/dev/null <"$d/comm"
		[ "$comm" = irqbalance ] || continue
		echo "pid:${d##*/}"
		return
	done
	echo none
}

# --- the state file ------------------------------------------------------------------
save() {
	[ -n "$ifname" ] || die "--ifname is required"
	[ -n "$state" ] || die "--state is required"
	[ -e "$NETDIR" ] || die "$ifname: no such interface ($NETDIR)"
	[ -e "$state" ] && return 0
	command -v ethtool >/dev/null || die "ethtool is not installed (it sets the queues and the RSS hash)"
	local tmp=$state.new irq q f v
	{
		echo "ifname=$ifname"
		echo "combined=$(combined_now)"
		echo "rss_tcp4=$(rss_tcp4_now)"
		for irq in $(device_irqs); do
			readf v "$PROCFS/irq/$irq/smp_affinity_list" && echo "irq_$irq=$v"
		done
		for q in "$NETDIR"/queues/tx-*; do
			# (unreadable on a single-queue device: nothing to restore)
			readf v "$q/xps_cpus" && echo "xps_${q##*/tx-}=$v"
		done
		for f in napi_defer_hard_irqs gro_flush_timeout; do
			readf v "$NETDIR/$f" && echo "$f=$v"
		done
		echo "irqbalance=$(irqbalance_now)"
	} >"$tmp" && mv "$tmp" "$state" || die "cannot write the state file $state"
}

state_get() { sed -n "s/^$1=//p" "$state" | head -n 1; }

restore() {
	[ -n "$state" ] || die "--state is required"
	[ -e "$state" ] || return 0
	# Half a restore is worse than a late one: signals wait.
	trap '' INT TERM HUP
	ifname=$(state_get ifname)
	NETDIR=$SYSFS/class/net/$ifname
	local bad=0 v k irq q ib
	v=$(state_get combined)
	if [[ $v =~ ^[1-9][0-9]*$ ]] && [ "$(combined_now)" != "$v" ]; then
		ethtool -L "$ifname" combined "$v" >/dev/null 2>&1 || { echo "nic-setup: restore: ethtool -L $ifname combined $v failed" >&2; bad=1; }
	fi
	v=$(state_get rss_tcp4)
	if [ -n "$v" ] && [ "$(rss_tcp4_now)" != "$v" ]; then
		ethtool -N "$ifname" rx-flow-hash tcp4 "$v" >/dev/null 2>&1 || { echo "nic-setup: restore: ethtool -N $ifname rx-flow-hash tcp4 $v failed" >&2; bad=1; }
	fi
	while IFS='=' read -r k v; do
		case $k in
		irq_*)
			irq=${k#irq_}
			# An IRQ that left with a queue has nothing to restore.
			[ -e "$PROCFS/irq/$irq/smp_affinity_list" ] || continue
			echo "$v" >"$PROCFS/irq/$irq/smp_affinity_list" 2>/dev/null || { echo "nic-setup: restore: IRQ $irq affinity $v failed" >&2; bad=1; } ;;
		xps_*)
			q=$NETDIR/queues/tx-${k#xps_}/xps_cpus
			[ -e "$q" ] || continue
			echo "$v" >"$q" 2>/dev/null || { echo "nic-setup: restore: $q = $v failed" >&2; bad=1; } ;;
		napi_defer_hard_irqs|gro_flush_timeout)
			echo "$v" >"$NETDIR/$k" 2>/dev/null || { echo "nic-setup: restore: $NETDIR/$k = $v failed" >&2; bad=1; } ;;
		esac
	done <"$state"
	ib=$(state_get irqbalance)
	case $ib in
	systemd) systemctl start irqbalance >/dev/null 2>&1 || { echo "nic-setup: restore: systemctl start irqbalance failed" >&2; bad=1; } ;;
	pid:*) kill -CONT "${ib#pid:}" 2>/dev/null ;; # gone meanwhile: nothing to resume
	esac
	# A failed step keeps the file, so the restore can be run again.
	[ "$bad" = 0 ] && rm -f "$state"
	trap - INT TERM HUP
	return "$bad"
}

# --- applying ---------------------------------------------------------------------------
on_signal() {
	trap '' INT TERM HUP
	echo "nic-setup: interrupted, restoring $ifname" >&2
	restore
	exit 130
}

write_checked() { # file value what
	echo "$2" >"$1" 2>/dev/null || die "$3: cannot write '$2' to $1"
}

apply() {
	[ -n "$ifname" ] || die "--ifname is required"
	[ -n "$cpus" ] || die "--cpus is required"
	[[ $cpus =~ ^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$ ]] || die "--cpus '$cpus' is not a CPU list (0-3,8)"
	local defer="" flush=""
	if [ -n "$busy" ]; then
		[[ $busy =~ ^([0-9]+):([0-9]+)$ ]] || die "--busy '$busy': expected DEFER:TIMEOUT (napi_defer_hard_irqs:gro_flush_timeout in ns)"
		defer=${BASH_REMATCH[1]} flush=${BASH_REMATCH[2]}
	fi
	[ -e "$NETDIR" ] || die "$ifname: no such interface ($NETDIR)"
	if is_virtual; then echo nic_setup=virtual; return 0; fi
	trap on_signal INT TERM HUP
	save
	local -a list
	read -ra list <<<"$(cpu_list_expand "$cpus")"
	local w=${#list[@]} max i irq q c ib err v

	# irqbalance first, so it cannot move what the next steps pin.
	ib=$(state_get irqbalance)
	case $ib in
	systemd) systemctl stop irqbalance >/dev/null 2>&1 || die "systemctl stop irqbalance failed" ;;
	pid:*) kill -STOP "${ib#pid:}" 2>/dev/null || die "cannot stop irqbalance (pid ${ib#pid:})" ;;
	esac

	if [ "$(combined_now)" != "$w" ]; then
		max=$(combined_max)
		[[ $max =~ ^[0-9]+$ ]] && [ "$max" -ge 1 ] || die "$ifname has no combined queues to set (ethtool -l: '${max:-nothing}')"
		[ "$w" -le "$max" ] || die "$ifname has at most $max combined queues, $w server cores asked"
		err=$(ethtool -L "$ifname" combined "$w" 2>&1 >/dev/null) || die "ethtool -L $ifname combined $w failed: $(echo $err)"
		[ "$(combined_now)" = "$w" ] || die "ethtool -L $ifname combined $w: the NIC reports $(combined_now)"
		# Many drivers reset the link to change queues.
		for ((i = 0; i < ${NIC_LINK_WAIT:-10} * 10; i++)); do
			readf v "$NETDIR/operstate" && [ "$v" = up ] && break
			sleep 0.1
		done
		[ "$v" = up ] || die "$ifname: link not up ${NIC_LINK_WAIT:-10} s after the queue change"
	fi

	if [ "$(rss_tcp4_now)" != "$RSS_WANT" ]; then
		err=$(ethtool -N "$ifname" rx-flow-hash tcp4 "$RSS_WANT" 2>&1 >/dev/null) ||
			die "ethtool -N $ifname rx-flow-hash tcp4 $RSS_WANT (RSS on the 4-tuple) failed: $(echo $err)"
		[ "$(rss_tcp4_now)" = "$RSS_WANT" ] || die "ethtool -N $ifname rx-flow-hash tcp4 $RSS_WANT: the NIC reports '$(rss_tcp4_now)'"
	fi

	# Queue IRQs are found after the queue change: it may give new vectors.
	local -A pinned=()
	while read -r irq q; do
		[ "$q" -lt "$w" ] || continue
		c=${list[q]}
		write_checked "$PROCFS/irq/$irq/smp_affinity_list" "$c" "IRQ $irq (queue $q)"
		readf v "$PROCFS/irq/$irq/smp_affinity_list"
		[ "$v" = "$c" ] || die "IRQ $irq (queue $q): affinity reads back '$v', not $c"
		pinned[$q]=1
	done < <(queue_irqs)
	for ((i = 0; i < w; i++)); do
		[ -n "${pinned[$i]:-}" ] || die "$ifname: no IRQ found for queue $i in $PROCFS/interrupts (names matched against NIC_IRQ_PATTERN '$IRQ_PATTERN')"
	done

	for ((i = 0; i < w; i++)); do
		q=$NETDIR/queues/tx-$i/xps_cpus
		[ -e "$q" ] || die "$ifname: no tx queue $i ($q)"
		write_checked "$q" "$(cpu_mask "${list[i]}")" "XPS of tx queue $i"
		readf v "$q"
		mask_cpus_to c "$v"
		[ "$c" = "${list[i]}" ] || die "XPS of tx queue $i reads back '$v', not CPU ${list[i]}"
	done

	[ -n "$defer" ] || defer=$(state_get napi_defer_hard_irqs)
	[ -n "$flush" ] || flush=$(state_get gro_flush_timeout)
	[ -n "$defer" ] && write_checked "$NETDIR/napi_defer_hard_irqs" "$defer" "napi_defer_hard_irqs"
	[ -n "$flush" ] && write_checked "$NETDIR/gro_flush_timeout" "$flush" "gro_flush_timeout"
	trap - INT TERM HUP
	show
}

# --- what the NIC has now ---------------------------------------------------------------
show() {
	[ -n "$ifname" ] || die "--ifname is required"
	if is_virtual; then echo nic_setup=virtual; return 0; fi
	local w irq q i out="" xps="" ib v
	w=$(combined_now)
	echo "nic_queues=${w:-unknown}"
	local -A aff=()
	while read -r irq q; do
		[ -n "${aff[$q]:-}" ] || readf "aff[$q]" "$PROCFS/irq/$irq/smp_affinity_list"
	done < <(queue_irqs)
	for ((i = 0; i < ${w:-0}; i++)); do
		out+="${aff[$i]:-?}/"
		if readf v "$NETDIR/queues/tx-$i/xps_cpus"; then mask_cpus_to v "$v"; xps+="$v/"; else xps+="?/"; fi
	done
	echo "nic_irq_cpus=${out%/}"
	echo "nic_xps_cpus=${xps%/}"
	echo "nic_rss_tcp4=$(rss_tcp4_now)"
	ib=$(irqbalance_now)
	case $ib in
	systemd) ib=running ;;
	pid:*) [ "$(awk '{ print $3 }' "$PROCFS/${ib#pid:}/stat" 2>/dev/null)" = T ] && ib=stopped || ib=running ;;
	none) ib=off ;;
	esac
	echo "irqbalance=$ib"
}

case $cmd in
save) save ;;
apply) apply ;;
restore) restore ;;
show) show ;;
-h|--help|"") sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; [ -n "$cmd" ] ;;
*) die "unknown command '$cmd' (save apply restore show; --help)" ;;
esac
