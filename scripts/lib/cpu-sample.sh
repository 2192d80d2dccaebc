#!/bin/sh
# One CPU sample, run on a side (namespace or host) by scripts/lib/cpustat.sh:
# per-CPU /proc/stat lines, the CPU time of every process in session SID
# (the server and its workers or child processes, started under setsid), the
# clock tick and a timestamp.  /proc/stat is machine-wide, so a namespace sees
# every core: the caller picks the cores it wants.
#   cpu-sample.sh [SID]
sid=${1:-}
grep '^cpu[0-9]' /proc/stat
if [ -n "$sid" ]; then
	# Field 2 (comm) may hold spaces: cut up to the last ") " first.
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v sid="$sid" '
		{ l = $0; sub(/^.*\) /, "", l); n = split(l, f, " ")
		  if (n >= 13 && f[4] == sid) { u += f[12]; s += f[13] } }
		END { printf "proc %d %d\n", u, s }'
fi
echo "clk $(getconf CLK_TCK)"
echo "time $(date +%s.%N)"
