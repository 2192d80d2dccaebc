# The runs of a sweep's CSV as the summary and REPS=auto read them (load
# after csv.awk and bootstrap.awk). What a run is worth, and which runs pair:
#
#   run_status(f)        "ok", or why the run does not count: the `status`
#                        column (loadgen: errors, stalled) or the `status`
#                        label (the sweep: server_died, ...); the first that
#                        is not ok wins. Older CSVs carry it only in labels.
#   run_bound(f)         the `bound` column; older CSVs: "client" when
#                        client_bound=1, else ""
#   run_client_bound(f)  1 when the run measured the load generator
#   run_server(f)        "epoll" for "httpd-epoll"
#   run_id(f)            what pairs runs: the CSV file and the repetition
#                        (`repeat`), so repetition k of A pairs with k of B
#
#   runs_add(p, f, metrics)   store run f under point p: the values of the
#                        ","-separated metric columns, and its run_id
#   runs_paired(p, q, m, A, B)  the pairs (A[i], B[i]) of metric m, one per
#                        run_id both points have, both values > 0; returns n
#   runs_values(p, m, V) the values of metric m at point p (> 0); returns n
#   runs_median(p, m)    their median, "" when none
#   runs_cb(p)           1 when any run of p was client-bound

function run_label(f, name,    l, n, i) {
	if (!("labels" in COL)) return ""
	n = split(f[COL["labels"]], l, ";")
	for (i = 1; i <= n; i++)
		if (index(l[i], name "=") == 1) return substr(l[i], length(name) + 2)
	return ""
}
function run_status(f,    c, l) {
	c = ("status" in COL) ? f[COL["status"]] : ""
	l = run_label(f, "status")
	if (c != "" && c != "ok") return c
	if (l != "" && l != "ok") return l
	return "ok"
}
function run_client_bound(f,    b) {
	b = csv_get(f, "client_bound")
	return (b == "1" || b == "true" || b == "yes" || csv_get(f, "bound") == "client") ? 1 : 0
}
function run_bound(f) {
	if (csv_get(f, "bound") != "") return csv_get(f, "bound")
	return run_client_bound(f) ? "client" : ""
}
function run_server(f,    s) { s = csv_get(f, "server"); sub(/^httpd-/, "", s); return s }
function run_id(f,    r) {
	r = csv_get(f, "repeat")
	return FILENAME ":" (r == "" ? "row" FNR : r)
}

function runs_add(p, f, metrics,    id, n, m, nm, i) {
	id = run_id(f)
	# A second run with the same id (one CSV appended to twice) pairs apart.
	while ((p, id) in RUNS_IDX) id = id "+"
	n = ++RUNS_N[p]
	RUNS_IDX[p, id] = n
	RUNS_ID[p, n] = id
	nm = split(metrics, m, ",")
	for (i = 1; i <= nm; i++) RUNS_V[p, n, m[i]] = csv_get(f, m[i])
	if (run_client_bound(f)) RUNS_CB[p] = 1
}
function runs_paired(p, q, m, A, B,    i, j, n, a, b) {
	n = 0
	if (!(p in RUNS_N) || !(q in RUNS_N)) return 0
	for (i = 1; i <= RUNS_N[p]; i++) {
		if (!((q, RUNS_ID[p, i]) in RUNS_IDX)) continue
		j = RUNS_IDX[q, RUNS_ID[p, i]]
		a = RUNS_V[p, i, m]; b = RUNS_V[q, j, m]
		if (a == "" || b == "" || a + 0 <= 0 || b + 0 <= 0) continue
		n++; A[n] = a + 0; B[n] = b + 0
	}
	return n
}
function runs_values(p, m, V,    i, n, x) {
	n = 0
	if (!(p in RUNS_N)) return 0
	for (i = 1; i <= RUNS_N[p]; i++) { x = RUNS_V[p, i, m]; if (x != "" && x + 0 > 0) V[++n] = x + 0 }
	return n
}
function runs_median(p, m,    V, n) {
	n = runs_values(p, m, V)
	return n ? bs_median(V, n) : ""
}
function runs_cb(p) { return (p in RUNS_CB) ? 1 : 0 }
