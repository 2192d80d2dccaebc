# Groups the runs of a bypassbench CSV and prints, per group, the median, min
# and max of one or more metrics (load after csv.awk):
#
#   awk -f csv.awk -f aggregate.awk -v where=... -v by=... -v metrics=... FILE...
#
#   where    conditions joined by ";": col=value, col!=value, col~word (word is
#            one of the "+"-separated words of col, e.g. sweep~mtu).
#            Rows whose status is not "ok" never count.
#   by       group columns, "," separated (e.g. "server,mtu")
#   metrics  metric columns, "," separated; a metric may list alternative
#            names with "|" (the first that exists in the header is used).
#            Derived: @server_user_us_per_req, @server_sys_us_per_req,
#            @server_softirq_us_per_req = server_cpu_us_per_req split in the
#            proportions of server_user/sys/softirq_pct.
#   short    1: "httpd-epoll" is reported as "epoll" (the sweeps' names)
#   status   which rows count (default: every row whose status is empty or "ok"):
#            good  the good runs: status ok, and in a file older than the
#                  status column (status only in labels), failed requests
#                  (failed_requests, else connect_errors + read_errors +
#                  timeouts + non_2xx + verify_mismatches) at most 0.1% of
#                  requests, loadgen's rule for "errors";
#            bad   the others, one output line per run (see below).
#
# Output, space separated, one line per group in first-seen order:
#   <by values...> <median min max per metric...> <runs> <client_bound>
# A metric no run of the group has is "- - -".
# With status=bad, one line per run in file order instead:
#   <by values...> <value per metric...> <status>
# where a value the run lacks is "-" and status is the run's (errors,
# stalled, server_died, ...).
# client_bound is 1 when any run of the group was client-bound. Values with
# spaces have them replaced by "_" (gnuplot reads whitespace columns).
# Several files may be given; each must start with its header.

function pick(alts,    a, n, i) {
	n = split(alts, a, "|")
	for (i = 1; i <= n; i++) if ((a[i] in COL) || a[i] ~ /^@/) return a[i]
	return ""
}
function metric(f, name,    busy, part) {
	if (name !~ /^@/) return csv_get(f, name)
	busy = 100 - csv_get(f, "server_idle_pct")
	part = name; sub(/^@server_/, "", part); sub(/_us_per_req$/, "", part)
	if (busy <= 0 || csv_get(f, "server_cpu_us_per_req") == "") return ""
	return csv_get(f, "server_cpu_us_per_req") * csv_get(f, "server_" part "_pct") / busy
}
function median_min_max(key, m,    n, i, j, x, v) {
	n = cntm[key, m]
	if (n == 0) return "- - -"
	for (i = 1; i <= n; i++) v[i] = val[key, m, i] + 0
	for (i = 2; i <= n; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
	return sprintf("%.6g %.6g %.6g", (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2, v[1], v[n])
}
# The run's status: its status column or label ("" counts as ok); a file
# without the status column was written before loadgen classified runs, so
# its "ok" is checked against loadgen's rule for "errors" here.
function run_status(f,    s, failed) {
	s = csv_get(f, "status")
	if (s == "") s = "ok"
	if (s == "ok" && !("status" in COL)) {
		failed = ("failed_requests" in COL) ? csv_get(f, "failed_requests") + 0 : \
			csv_get(f, "connect_errors") + csv_get(f, "read_errors") + csv_get(f, "timeouts") + \
			csv_get(f, "non_2xx") + csv_get(f, "verify_mismatches")
		if (failed > 0 && failed > 0.001 * csv_get(f, "requests")) s = "errors"
	}
	return s
}
function ok(f,    i, c, op, name, want, have, w) {
	if (status == "") {
		if (csv_get(f, "status") != "" && csv_get(f, "status") != "ok") return 0
	} else if ((run_status(f) == "ok") != (status == "good")) return 0
	for (i = 1; i <= ncond; i++) {
		c = cond[i]
		if (match(c, /!=|=|~/)) {
			name = substr(c, 1, RSTART - 1); op = substr(c, RSTART, RLENGTH); want = substr(c, RSTART + RLENGTH)
		} else continue
		have = csv_get(f, name)
		if (op == "=" && have != want) return 0
		if (op == "!=" && have == want) return 0
		if (op == "~" && index("+" have "+", "+" want "+") == 0) return 0
	}
	return 1
}
BEGIN {
	if (status != "" && status != "good" && status != "bad") {
		print "aggregate.awk: status must be good or bad, not '" status "'" > "/dev/stderr"
		exit 2
	}
	ncond = split(where, cond, ";")
	nby = split(by, bycol, ",")
	nmet = split(metrics, metalt, ",")
}
FNR == 1 {
	for (k in COL) delete COL[k]
	csv_header($0)
	for (i = 1; i <= nmet; i++) metcol[i] = pick(metalt[i])
	next
}
{
	csv_split($0, f)
	if (!ok(f)) next
	key = ""
	for (i = 1; i <= nby; i++) {
		v = csv_get(f, bycol[i]); gsub(/[ \t]/, "_", v); if (v == "") v = "-"
		if (short && bycol[i] == "server") sub(/^httpd-/, "", v)
		key = key (i > 1 ? " " : "") v
	}
	if (status == "bad") {
		line = key
		for (i = 1; i <= nmet; i++) {
			x = (metcol[i] == "") ? "" : metric(f, metcol[i])
			line = line " " (x == "" ? "-" : x)
		}
		v = run_status(f); gsub(/[ \t]/, "_", v)
		print line, v
		next
	}
	if (!(key in cnt)) { order[++ngroups] = key; cnt[key] = 0; cb[key] = 0 }
	n = ++cnt[key]
	for (i = 1; i <= nmet; i++) {
		x = (metcol[i] == "") ? "" : metric(f, metcol[i])
		if (x != "") val[key, i, ++cntm[key, i]] = x
	}
	b = csv_get(f, "client_bound")
	if (b == "1" || b == "true" || b == "yes") cb[key] = 1
}
END {
	for (g = 1; g <= ngroups; g++) {
		key = order[g]; line = key
		for (i = 1; i <= nmet; i++) line = line " " median_min_max(key, i)
		print line, cnt[key], cb[key]
	}
}
