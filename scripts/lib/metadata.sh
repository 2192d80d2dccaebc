# What machine made a number (sourced). The server side is the machine being
# measured, so host, kernel and CPU model are read there.
#
#   meta_row_fields        key=value lines (meta_timestamp meta_git_commit meta_host
#                          meta_kernel meta_cpu_model ...) cached per process
#   machine_info FILE      the long form: lscpu, kernel, cmdline, governor, offloads...

_META_CACHE=""

# True when the code differs from HEAD. Results and figures are what runs
# write, not what they run, so they do not count.
meta_source_dirty() {
	git -C "$BB_ROOT" status --porcelain --untracked-files=no -- . ':(exclude)results' ':(exclude)plots/out' 2>/dev/null | grep -q .
}

meta_row_fields() {
	if [ -z "$_META_CACHE" ]; then
		local commit
		commit=$(git -C "$BB_ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
		meta_source_dirty && commit="$commit-dirty"
		_META_CACHE=$(
			echo "meta_git_commit=$commit"
			run_side srv sh -c '
				echo "meta_host=$(hostname)"
				echo "meta_kernel=$(uname -r)"
				echo "meta_cpu_model=$(sed -n "s/^model name[[:space:]]*: //p" /proc/cpuinfo | head -n 1)"
				echo "meta_ncpus=$(nproc)"
				g=$(cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor 2>/dev/null || echo none)
				echo "meta_governor=$g"' 2>/dev/null
		)
	fi
	echo "meta_timestamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	printf '%s\n' "$_META_CACHE"
}

machine_info() { # file
	local out=$1
	{
		echo "# bypassbench machine metadata, written $(date -u +%Y-%m-%dT%H:%M:%SZ) by scripts/sweep.sh"
		echo "git_commit: $(git -C "$BB_ROOT" rev-parse HEAD 2>/dev/null) $(meta_source_dirty && echo '(uncommitted changes)')"
		echo "server_host: ${SERVER_HOST:-local lab (network namespaces)}"
		if [ -n "${CLIENT_HOSTS:-}" ]; then
			echo "client_hosts: $CLIENT_HOSTS (each takes its share of the load: loadgen --share, merged by loadgen merge)"
		else
			echo "client_host: ${CLIENT_HOST:-local lab (network namespaces)}"
		fi
		echo "client_cores: $CLIENT_CORES ($CLIENT_CPUS); server cores up to $MAX_SERVER_CORES"
		echo "server_cpu_order: $(cpu_list_compress $SERVER_CPU_ORDER) (a point with W workers takes the first W; scripts/lib/cpu-plan.sh)"
		echo "lab: TOPO_GRO=${TOPO_GRO:-default} TOPO_RPS=${TOPO_RPS:-0} client tx checksum=${LAB_CLIENT_TX_CSUM:-off}"
		local side host
		for host in "" $(client_hosts); do
			# "": the server side, then each client host (one: the lab's or CLIENT_HOST).
			side=srv
			[ -n "$host" ] && side=cli
			[ "$side" = cli ] && [ "$host" = "$(side_host srv)" ] && continue
			echo
			echo "## $side side${host:+ ($host)}"
			CLIENT_HOST=${host:-${CLIENT_HOST:-}} run_side "$side" sh -c '
				echo "hostname: $(hostname)"
				echo "kernel: $(uname -a)"
				echo "cmdline: $(cat /proc/cmdline)"
				echo "governor: $(cat /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor 2>/dev/null | sort | uniq -c | tr "\n" " ")"
				echo "virtualization: $(systemd-detect-virt 2>/dev/null || echo unknown)"
				echo "memory: $(sed -n "s/^MemTotal: *//p" /proc/meminfo)"
				echo "nginx: $(nginx -v 2>&1)"
				echo "lighttpd: $(lighttpd -v 2>&1 | head -n 1)"
				for k in net.core.somaxconn net.ipv4.tcp_max_syn_backlog net.ipv4.ip_local_port_range net.core.rmem_max net.core.wmem_max; do
					echo "sysctl $k = $(sysctl -n $k 2>/dev/null)"
				done
				echo; echo "### lscpu"; lscpu
				for i in ${SERVER_IFNAME:-} ${CLIENT_IFNAME:-}; do
					[ -e /sys/class/net/$i ] || continue
					echo; echo "### ethtool -k $i"; ethtool -k "$i" 2>/dev/null
					echo; echo "### ethtool -l $i"; ethtool -l "$i" 2>/dev/null
				done' 2>&1
		done
		if [ -n "${NIC_STATE:-}" ]; then
			echo
			echo "## NIC set-up of $SERVER_IFNAME (scripts/lib/nic-setup.sh)"
			echo "each point: ethtool -L combined = server cores; queue i's IRQs (smp_affinity_list) and XPS (tx-i/xps_cpus) on server CPU i;"
			echo "ethtool -N rx-flow-hash tcp4 sdfn; irqbalance stopped; busy variants: napi_defer_hard_irqs=${TOPO_NAPI_DEFER_IRQS:-2} gro_flush_timeout=${TOPO_GRO_FLUSH_TIMEOUT:-200000}, the others: as before."
			echo "every row's labels hold what the NIC had (nic_queues, nic_irq_cpus, nic_xps_cpus, nic_rss_tcp4, irqbalance, napi_defer_hard_irqs, gro_flush_timeout)"
			echo
			echo "### before the sweep (restored at its end)"
			run_side srv cat "$NIC_STATE" 2>&1
			if [ -n "${NIC_SHOW:-}" ]; then
				echo
				echo "### after the set-up for the largest point, checked before any load"
				printf '%s\n' "$NIC_SHOW"
			fi
		fi
		if ! is_remote; then
			echo
			echo "## lab offloads (veth, as created by scripts/lib/topology.sh for each point)"
			echo "veth-srv / veth-cli, one pair per point; GRO ${TOPO_GRO:-kernel default}; client tx checksumming ${LAB_CLIENT_TX_CSUM:-off}"
		fi
	} >"$out"
}
