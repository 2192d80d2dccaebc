#!/bin/sh
# One CPU sample, run on a side (namespace or host) by scripts/lib/cpustat.sh:
# per-CPU /proc/stat lines, the CPU time of every process in session SID (the
# server and its workers or child processes, started under setsid) and the
# side's uptime as timestamp. One awk process, so sampling a loaded machine
# stays cheap. /proc/stat is machine-wide, so a namespace sees every core.
#   cpu-sample.sh [SID]
sid=${1:-}
files=""
[ -n "$sid" ] && files=$(echo /proc/[0-9]*/stat)
exec awk -v sid="$sid" -v files="$files" 'BEGIN {
	while ((getline l < "/proc/stat") > 0) if (l ~ /^cpu[0-9]/) print l
	if (sid != "") {
		n = split(files, F, " ")
		for (i = 1; i <= n; i++) {
			# Field 2 (comm) may hold spaces: cut up to the last ") " first.
			if ((getline l < F[i]) > 0) {
				sub(/^.*\) /, "", l)
				if (split(l, f, " ") >= 13 && f[4] == sid) { u += f[12]; s += f[13] }
			}
			close(F[i])
		}
		printf "proc %d %d\n", u, s
	}
	getline up < "/proc/uptime"; split(up, t, " ")
	print "time", t[1]
}'
