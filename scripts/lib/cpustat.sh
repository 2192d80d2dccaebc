# CPU accounting for one run (sourced).  Two samples (scripts/lib/cpu-sample.sh)
# taken on a side before and after the measured window give, over a set of
# cores: user, system, softirq and idle %, the busy core-seconds, and the CPU
# time of the server's processes.  /proc/stat is global, so "server cores" and
# "client cores" are cores, not namespaces.
#
#   cpu_sample srv|cli FILE [SID]
#   cpu_delta BEFORE AFTER CPULIST   -> prints key=value lines:
#       window_s user_pct sys_pct softirq_pct idle_pct busy_s ncores
#       proc_s (CPU seconds of session SID)  all_busy_s (every core of the host)
#
# user = user+nice, sys = system+irq (hard irq is tiny and lands with the
# kernel's work), softirq = softirq, idle = idle+iowait; steal counts as busy
# (the core was not ours to use), so busy = 100 - idle.

# USER_HZ, the unit of /proc/stat (100 on Linux whatever the kernel's HZ).
BB_CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

cpu_sample() {
	run_side "$1" sh scripts/lib/cpu-sample.sh "${3:-}" >"$2"
}

cpu_delta() {
	awk -v cpus="$(cpu_list_expand "$3")" -v hz="$BB_CLK_TCK" '
		BEGIN { n = split(cpus, c, " "); for (i = 1; i <= n; i++) want["cpu" c[i]] = 1 }
		FNR == 1 { file++ }
		$1 ~ /^cpu[0-9]+$/ {
			u = $2 + $3; s = $4 + $7; si = $8; id = $5 + $6; st = $9
			tot = u + s + si + id + st
			sign = (file == 1) ? -1 : 1
			all_busy += sign * (tot - id)
			if ($1 in want) { U += sign * u; S += sign * s; SI += sign * si; ID += sign * id; T += sign * tot; seen[$1]++ }
		}
		$1 == "proc" { P += (file == 1 ? -1 : 1) * ($2 + $3) }
		$1 == "time" { t[file] = $2 }
		END {
			if (hz <= 0) hz = 100
			for (k in want) if (seen[k] != 2) { printf "error=cpu %s not sampled\n", k; exit 1 }
			w = t[2] - t[1]
			printf "window_s=%.3f\n", w
			if (T <= 0) { print "error=no CPU ticks in the window"; exit 1 }
			printf "user_pct=%.1f\nsys_pct=%.1f\nsoftirq_pct=%.1f\nidle_pct=%.1f\n", 100*U/T, 100*S/T, 100*SI/T, 100*ID/T
			printf "busy_s=%.3f\nncores=%d\nproc_s=%.3f\nall_busy_s=%.3f\n", (T - ID)/hz, n, P/hz, all_busy/hz
		}' "$1" "$2"
}
