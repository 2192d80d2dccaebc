# REPS=auto's decision (scripts/sweep.sh, docs/statistics.md): after a round,
# which groups of closed-loop points (points that differ only by server) need
# more runs. Load after csv.awk, bootstrap.awk and runs.awk:
#
#   awk -f csv.awk -f bootstrap.awk -f runs.awk -f reps-auto.awk \
#       [-v ci_pct=5] [-v srv_pct=10] [-v min_pairs=3] SWEEP.csv
#
# Prints one line per group, tab separated:
#   <workers mode connections 0 page_set mtu>  open|settled  <why>
# (the group is the sweep's point key without the server; 0 = closed loop).
#
# A group is settled when, over its ok runs:
#   - every headline comparison A vs B (bs_headline_pairs) of two servers in
#     it has at least min_pairs pairs and a 95% interval of the req/s ratio
#     that excludes 1.0 or whose half-width is under ci_pct % of the ratio
#     (a clear difference, or a tight "about equal");
#   - every server of it in no such comparison has at least min_pairs ok runs
#     and a 95% interval of its median req/s within +-srv_pct %.
# A server with no ok run in the group is not waited for: repeating a run
# that fails every time does not settle anything (the summary lists it).

BEGIN {
	if (ci_pct == "") ci_pct = 5
	if (srv_pct == "") srv_pct = 10
	if (min_pairs == "") min_pairs = 3
	npairs = split(bs_headline_pairs(), pairs, " ")
}
FNR == 1 { for (k in COL) delete COL[k]; csv_header($0); next }
{
	csv_split($0, f)
	rate = csv_get(f, "target_rate")
	if (rate != "" && rate + 0 > 0) next
	g = csv_get(f, "workers") " " csv_get(f, "mode") " " csv_get(f, "connections") " 0 " csv_get(f, "page_set") " " csv_get(f, "mtu")
	if (!(g in G)) { G[g] = 1; GORDER[++ng] = g }
	if (run_status(f) != "ok") next
	s = run_server(f)
	if (!((g, s) in GS)) { GS[g, s] = 1; GSRV[g] = GSRV[g] " " s }
	runs_add(g SUBSEP s, f, "req_per_s")
}
function half(x) { return (BS_HI - BS_LO) / 2 / BS_EST }
END {
	for (i = 1; i <= ng; i++) {
		g = GORDER[i]; state = "settled"; why = ""; ow = ""
		for (k in PAIRED) delete PAIRED[k]
		for (j = 1; j <= npairs; j++) {
			split(pairs[j], ab, ":")
			if (!((g, ab[1]) in GS) || !((g, ab[2]) in GS)) continue
			PAIRED[ab[1]] = PAIRED[ab[2]] = 1
			n = runs_paired(g SUBSEP ab[1], g SUBSEP ab[2], "req_per_s", A, B)
			if (n < min_pairs) { state = "open"; ow = ow sprintf("; %s vs %s: %d pairs", ab[1], ab[2], n); continue }
			bs_log_ratio_ci(A, B, n)
			if (BS_LO > 1 || BS_HI < 1 || half() < ci_pct / 100)
				why = why sprintf("; %s vs %s: %.2fx [%.2f-%.2f]", ab[1], ab[2], BS_EST, BS_LO, BS_HI)
			else { state = "open"; ow = ow sprintf("; %s vs %s: %.2fx [%.2f-%.2f] holds 1 and is wider than +-%s%%", ab[1], ab[2], BS_EST, BS_LO, BS_HI, ci_pct) }
		}
		ns = split(GSRV[g], srv, " ")
		for (j = 1; j <= ns; j++) {
			s = srv[j]
			if (s in PAIRED) continue
			n = runs_values(g SUBSEP s, "req_per_s", V)
			if (n < min_pairs) { state = "open"; ow = ow sprintf("; %s: %d ok runs", s, n); continue }
			bs_rel_median_ci(V, n)
			if (half() < srv_pct / 100) why = why sprintf("; %s: median +-%.0f%%", s, 100 * half())
			else { state = "open"; ow = ow sprintf("; %s: median +-%.0f%%, over +-%s%%", s, 100 * half(), srv_pct) }
		}
		if (ns == 0) why = "; no ok run"
		# An open group says what keeps it open; a settled one, what settled it.
		printf "%s\t%s\t%s\n", g, state, substr(state == "open" ? ow : why, 3)
	}
}
