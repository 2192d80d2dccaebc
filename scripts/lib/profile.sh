# The text report of one profiled run (sourced by run-point.sh when
# PROFILE_OUT is set). perf.data stays on the server side ($SRV_TMP); perf
# report runs there, next to the binaries whose symbols it resolves.
#
#   profile_report SERVER CPUS CSV-ROW HEADER-FILE   -> the report on stdout,
#   and the folded stacks (flame graph input) in ${PROFILE_OUT%.txt}.folded

profile_report() {
	local name=$1 cpus=$2 row=$3 header=$4 data=$SRV_TMP/perf.data
	echo "# Where the server's cores spent their time: $name"
	echo "# perf record -e cpu-clock -F ${PROFILE_FREQ:-999} -g -C $cpus (the server cores, every process on them),"
	echo "# during the measured window of one run, written by scripts/profile.sh at $(date -u +%Y-%m-%dT%H:%M:%SZ)."
	echo "# cpu-clock is a timer: samples are time, not cycles. On veth, the server cores also run"
	echo "# softirq work for packets the server sends (ARCHITECTURE.md, CPU split)."
	echo
	echo "## The run"
	awk -f "$BB_ROOT/scripts/lib/csv.awk" -f /dev/fd/3 "$header" <(printf '%s\n' "$row") 3<<'AWK'
NR == 1 { csv_header($0); next }
{ csv_split($0, f)
  for (i = 1; i <= NCOL; i++) if (f[i] != "") printf "  %-28s %s\n", NAME[i], f[i] }
AWK
	echo
	run_side srv perf report -i "$data" --no-children --sort sym --stdio -g none 2>/dev/null >"$tmp/perf-sym.txt"
	[ -s "$tmp/perf-sym.txt" ] || { echo "perf report gave nothing (no samples?)"; return 1; }
	echo "## Kernel vs user (share of samples on the server cores)"
	# perf marks kernel symbols [k] and user ones [.]; idle is the kernel's
	# idle loop, reported apart so the split is of the busy time too.
	awk '
		$1 ~ /%$/ { p = $1; sub(/%/, "", p)
			if ($2 == "[k]") { if ($3 ~ /idle|halt|cpuidle|poll_idle|mwait/) idle += p; else k += p }
			else if ($2 == "[.]") u += p; else o += p }
		END {
			busy = k + u + o
			printf "  kernel %6.2f%%   user %6.2f%%   other %5.2f%%   idle %6.2f%%\n", k, u, o, idle
			if (busy > 0) printf "  of the busy time: kernel %.1f%%, user %.1f%%\n", 100 * k / busy, 100 * u / busy
		}' "$tmp/perf-sym.txt"
	echo
	echo "## By process (comm)"
	run_side srv perf report -i "$data" --no-children --sort comm --stdio -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -n 15
	echo
	echo "## Top symbols"
	grep -v '^#' "$tmp/perf-sym.txt" | grep -v '^$' | head -n "${PROFILE_TOP:-40}"
	echo
	echo "## Top call chains into the hottest symbols (callers, 2% threshold)"
	run_side srv perf report -i "$data" --no-children --sort sym --stdio -g caller,0.5,2 --percent-limit 2 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -n "${PROFILE_CHAINS:-150}"
	# Folded stacks ("a;b;c count"), the input of flamegraph.pl and speedscope.
	run_side srv perf script -i "$data" -F comm,ip,sym 2>/dev/null | awk '
		function flush() { if (n) { s = comm; for (i = n; i >= 1; i--) s = s ";" st[i]; cnt[s]++ } n = 0 }
		/^[^ \t]/ { flush(); comm = $1; next }
		/^[ \t]+[0-9a-f]+ / { sym = $2; for (i = 3; i <= NF; i++) sym = sym "_" $i; st[++n] = sym; next }
		/^$/ { flush() }
		END { flush(); for (s in cnt) print s, cnt[s] }' | sort >"${PROFILE_OUT%.txt}.folded"
	# Stage attribution (rx, TCP, HTTP, tx, kicks...) where the server has a
	# map of its symbols to stages: scripts/lib/stages/NAME.map.
	local map=$BB_ROOT/scripts/lib/stages/${name#httpd-}.map
	if [ -f "$map" ]; then
		echo
		echo "## Stages (scripts/lib/stages/${name#httpd-}.map; % of all samples on the server cores, and of the server's own)"
		awk -v comm="$name" -f "$BB_ROOT/scripts/lib/profile-stages.awk" "$map" "${PROFILE_OUT%.txt}.folded"
	fi
	return 0
}
