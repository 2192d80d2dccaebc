# The sentences of scripts/summary.sh (load after csv.awk, bootstrap.awk,
# runs.awk). Reads sweep CSVs and their -failures.csv files (told apart by
# their `reason` column) and prints plain text: docs/statistics.md.
#
#   -v names="epoll=epoll tpc=thread-per-conn ..."   display names, in order
#
# Only ok runs are stored; every other run, and every line of a failures file,
# goes to the list at the end. A ratio is the median of the per-pair ratios
# (repetition k of A over repetition k of B) with its 95% bootstrap interval.

function dn(s) { return (s in DN) ? DN[s] : s }
function section(t) { if (sec_lines) print ""; title = t; sec_lines = 0 }
function out(line) { if (!sec_lines++) print title; print line }
function mn(m) { return m == "keepalive" ? "keep-alive" : m }
function cores(w) { return w " core" (w == 1 ? "" : "s") }
function fmt(x) { return x == "" ? "n/a" : x >= 100 ? sprintf("%\047.0f", x) : x >= 10 ? sprintf("%.1f", x) : sprintf("%.2f", x) }
function fr(x) { return x >= 10 ? sprintf("%.1f", x) : sprintf("%.2f", x) }
function mark(p, q,    ca, cb) {
	ca = runs_cb(p); cb = runs_cb(q)
	return (ca || cb) ? "  [client-bound: " ((ca && cb) ? "both" : ca ? "first" : "second") " -- the load generator's limit, not the server's]" : ""
}
# "1.02x, inconclusive (95% CI 0.97-1.08, 3 pairs)": A at point p over B at q.
function ratio(p, q, m,    A, B, n, a, b) {
	n = runs_paired(p, q, m, A, B)
	if (n == 0) {
		a = runs_median(p, m); b = runs_median(q, m)
		return (a != "" && b != "") ? sprintf("%sx (ratio of medians: no paired runs)", fr(a / b)) : "n/a"
	}
	bs_log_ratio_ci(A, B, n)
	if (n < 3) return sprintf("%sx (%d pair%s, too few for an interval)", fr(BS_EST), n, n == 1 ? "" : "s")
	return sprintf("%sx%s (95%% CI %s-%s, %d pairs)", fr(BS_EST),
		(BS_LO <= 1 && BS_HI >= 1) ? ", inconclusive" : "", fr(BS_LO), fr(BS_HI), n)
}
# Points of the cores and MTU sweeps, at the page set they were run with (with
# several CSVs, the last one's).
function ck(s, m, w) { return "C" SUBSEP s SUBSEP m SUBSEP w SUBSEP PS_C[m] }
function mk(s, m, mtu) { return "M" SUBSEP s SUBSEP m SUBSEP mtu SUBSEP psm }
function point_desc(s, m, w, c, rate, ps, mtu) {
	return sprintf("%s, %s, %s connections, %s, MTU %s, %s worker%s, %s", dn(s), mn(m), c, ps, mtu, w, w == 1 ? "" : "s",
		(rate == "" || rate == 0) ? "closed loop" : "rate " (rate + 0) "/s")
}
function failed_key(s, m, w, c, rate, ps, mtu, rep) {
	# The rate as a number: the CSV says 8529.000 where the failures file says 8529.
	return s SUBSEP m SUBSEP w SUBSEP c SUBSEP ((rate == "" || rate == 0) ? "" : rate + 0) SUBSEP ps SUBSEP mtu SUBSEP rep
}

BEGIN {
	n = split(names, nm, " ")
	for (i = 1; i <= n; i++) { split(nm[i], kv, "="); DN[kv[1]] = kv[2]; ORDER[i] = kv[1] }
	NORDER = n
	npairs = split(bs_headline_pairs(), pairs, " ")
	METRICS = "req_per_s,gbit_per_s,server_cpu_us_per_req,machine_cpu_us_per_req,lat_p99_us,target_rate,loadgen_cpu_us_per_req"
	# Repetitions of one point whose load generator paid this many times
	# more per request in one than in another ran in different states of
	# the run (httpd-xdp's client ACK rate, docs/attribution.md); on the
	# shared 2-core VM the kernel servers' repetitions nearly always stay
	# within 1.8x.
	STATE_SPREAD = 2
}
function add(p, f) { if (!(p in PDESC)) PORDER[++npoints] = p; runs_add(p, f, METRICS); PDESC[p] = desc }
FNR == 1 {
	for (k in COL) delete COL[k]
	csv_header($0)
	failures_file = ("reason" in COL) && !("req_per_s" in COL)
	next
}
failures_file {
	csv_split($0, f)
	s = run_server(f)
	k = failed_key(s, csv_get(f, "mode"), csv_get(f, "workers"), csv_get(f, "connections"), csv_get(f, "target_rate"),
		csv_get(f, "page_set"), csv_get(f, "mtu"), csv_get(f, "repeat"))
	if (!(k in FAILED)) {
		FAILED[k] = ++nfailed
		FDESC[nfailed] = point_desc(s, csv_get(f, "mode"), csv_get(f, "workers"), csv_get(f, "connections"),
			csv_get(f, "target_rate"), csv_get(f, "page_set"), csv_get(f, "mtu"))
		FREP[nfailed] = csv_get(f, "repeat"); FSTATUS[nfailed] = csv_get(f, "status")
		FREQ[nfailed] = "n/a"; FBOUND[nfailed] = "n/a"; FROW[nfailed] = "no row"
	}
	r = csv_get(f, "reason"); gsub(/[ :]+$/, "", r)
	if (length(r) > 90) r = substr(r, 1, 87) "..."
	if (r != "") FREASON[FAILED[k]] = r
	next
}
{
	csv_split($0, f)
	s = run_server(f); m = csv_get(f, "mode"); w = csv_get(f, "workers"); c = csv_get(f, "connections")
	rate = csv_get(f, "target_rate"); ps = csv_get(f, "page_set"); mtu = csv_get(f, "mtu")
	# A search (loadgen --search): its knee row is the capacity under the
	# SLO; its steps fail above the capacity by design, so they are neither
	# runs nor failures here (the plots draw them).
	ph = csv_get(f, "search_phase")
	if (ph != "") {
		# One search: its rows share file, server, SLO and repeat. Its first
		# failing rate (the lowest) says what bounded the knee.
		sk = FILENAME SUBSEP s SUBSEP csv_get(f, "slo") SUBSEP csv_get(f, "repeat")
		if (ph != "knee" && csv_get(f, "slo_verdict") != "pass" && (!(sk in FF) || rate + 0 < FF[sk])) {
			FF[sk] = rate + 0; FFV[sk] = csv_get(f, "slo_verdict")
		}
		if (ph == "knee" && csv_get(f, "slo_capacity_req_s") != "") {
			k = s SUBSEP csv_get(f, "slo")
			if (FFV[sk] == "client_bound") KCB[k]++
			if (!(k in KNEE_N)) { KORDER[++nknees] = k; KSRV[k] = s; KSLO[k] = csv_get(f, "slo")
				KDESC[k] = sprintf("%s, %s connections, %s, MTU %s, %s worker%s", mn(m), c, ps, mtu, w, w == 1 ? "" : "s") }
			KNEE[k, ++KNEE_N[k]] = csv_get(f, "slo_capacity_req_s") + 0
		}
		next
	}
	st = run_status(f)
	if (st != "ok") {
		k = failed_key(s, m, w, c, rate, ps, mtu, csv_get(f, "repeat"))
		FAILED[k] = ++nfailed
		FDESC[nfailed] = point_desc(s, m, w, c, rate, ps, mtu)
		FREP[nfailed] = csv_get(f, "repeat"); FSTATUS[nfailed] = st
		FREQ[nfailed] = csv_get(f, "failed_requests") == "" ? "n/a" : csv_get(f, "failed_requests")
		FBOUND[nfailed] = run_bound(f) == "" ? "n/a" : run_bound(f)
		FROW[nfailed] = sprintf("%.0f req/s", csv_get(f, "req_per_s"))
		next
	}
	nok++
	sw = "+" csv_get(f, "sweep") "+"
	open_loop = (rate != "" && rate + 0 > 0)
	SRV[s] = 1
	desc = point_desc(s, m, w, c, rate, ps, mtu)
	if (index(sw, "+cores+") && !open_loop) { PS_C[m] = ps; add(ck(s, m, w), f); MODE[m] = 1; W[w] = 1 }
	if (index(sw, "+mtu+") && !open_loop) { psm = ps; add(mk(s, m, mtu), f); MODEM[m] = 1; MTU[mtu] = 1 }
	if (index(sw, "+concurrency+") && !open_loop) { add("N" SUBSEP s SUBSEP m SUBSEP c, f); MODEN[m] = 1; CONC[c] = 1 }
	if (index(sw, "+pagesets+") && !open_loop) { add("P" SUBSEP s SUBSEP m SUBSEP ps, f); MODEP[m] = 1; PSET[ps] = 1 }
	if (index(sw, "+latency+") && open_loop) { add("L" SUBSEP s SUBSEP csv_get(f, "load_fraction"), f); FRAC[csv_get(f, "load_fraction")] = 1 }
}
END {
	printf "%d ok runs; every figure is a median of the ok runs of its point (min-max in the plots); every ratio\n", nok
	print "is the median of paired ratios (repetition k against k) with a 95% bootstrap interval, widened for few pairs (docs/statistics.md)."
	if (nfailed) printf "%d run%s failed or stalled: never quoted here, listed at the end.\n", nfailed, nfailed == 1 ? "" : "s"
	print ""
	maxw = 0; for (w in W) if (w + 0 > maxw) maxw = w + 0
	# 1. What each server did, at the largest core count.
	section("Peak of each server (closed loop, " cores(maxw) "):")
	for (m in MODE) for (i = 1; i <= NORDER; i++) { s = ORDER[i]; p = ck(s, m, maxw)
		if (!(p in RUNS_N)) continue
		out(sprintf("  %s, %s, %s: %s req/s, %s Gbit/s; CPU per request: %s us on the server cores, %s us machine-wide (%d run%s)%s",
			dn(s), mn(m), PS_C[m], fmt(runs_median(p, "req_per_s")), fmt(runs_median(p, "gbit_per_s")),
			fmt(runs_median(p, "server_cpu_us_per_req")), fmt(runs_median(p, "machine_cpu_us_per_req")), RUNS_N[p], RUNS_N[p] == 1 ? "" : "s",
			runs_cb(p) ? "  [client-bound]" : "")) }
	# 1b. Capacity under the SLO (the latency sweep's searches): the median
	# knee of the server's searches, with their range.
	section("Capacity under the SLO (highest open-loop rate that met it; loadgen --search, latency sweep):")
	for (i = 1; i <= NORDER; i++) for (j = 1; j <= nknees; j++) { k = KORDER[j]; if (KSRV[k] != ORDER[i]) continue
		n = KNEE_N[k]; for (a = 1; a <= n; a++) KV[a] = KNEE[k, a]
		bs_sort(KV, n)
		med = (n % 2) ? KV[(n + 1) / 2] : (KV[n / 2] + KV[n / 2 + 1]) / 2
		out(sprintf("  %s, %s: %s req/s under %s (%s%s)%s", dn(KSRV[k]), KDESC[k], fmt(med), KSLO[k],
			n == 1 ? "1 search" : sprintf("median of %d searches, %s-%s", n, fmt(KV[1]), fmt(KV[n])),
			med == 0 ? "; no rate met it" : "",
			KCB[k] ? sprintf("  [%d of %d searches stopped at a client-bound step: there the knee is the load generator's limit, not the server's]", KCB[k], n) : "")) }
	# 2. The headline ratios, req/s, per core count.
	section("Requests/s ratios (cores sweep):")
	for (m in MODE) for (w in W) for (j = 1; j <= npairs; j++) {
		split(pairs[j], ab, ":"); p = ck(ab[1], m, w); q = ck(ab[2], m, w)
		if (!(p in RUNS_N) || !(q in RUNS_N)) continue
		out(sprintf("  %s vs %s, %s, %s, %s: %s%s", dn(ab[1]), dn(ab[2]), mn(m), PS_C[m], cores(w),
			ratio(p, q, "req_per_s"), mark(p, q))) }
	section("Server CPU per request ratios (lower is cheaper):")
	for (m in MODE) for (j = 1; j <= npairs; j++) {
		split(pairs[j], ab, ":"); p = ck(ab[1], m, maxw); q = ck(ab[2], m, maxw)
		if (!(p in RUNS_N) || !(q in RUNS_N) || runs_median(p, "server_cpu_us_per_req") == "" || runs_median(q, "server_cpu_us_per_req") == "") continue
		out(sprintf("  %s vs %s, %s, %s, %s: %s; %s vs %s us%s", dn(ab[1]), dn(ab[2]), mn(m), PS_C[m], cores(maxw),
			ratio(p, q, "server_cpu_us_per_req"), fmt(runs_median(p, "server_cpu_us_per_req")),
			fmt(runs_median(q, "server_cpu_us_per_req")), mark(p, q))) }
	# The tuned kernel: busy polling on both sides (docs/sweeps.md, SERVERS=*-busy).
	section("Bypass against the tuned kernel (busy polling on both sides):")
	nb = split("xdp-busy:epoll-busy xdp-busy:uring-busy epoll-busy:epoll uring-busy:uring xdp-busy:xdp", bp, " ")
	for (m in MODE) for (j = 1; j <= nb; j++) {
		split(bp[j], ab, ":"); p = ck(ab[1], m, maxw); q = ck(ab[2], m, maxw)
		if (!(p in RUNS_N) || !(q in RUNS_N)) continue
		out(sprintf("  %s vs %s, %s, %s: req/s %s; server CPU per request %s%s", dn(ab[1]), dn(ab[2]), mn(m), PS_C[m],
			ratio(p, q, "req_per_s"), ratio(p, q, "server_cpu_us_per_req"), mark(p, q))) }
	section("Keep-alive against a new connection per request:")
	for (i = 1; i <= NORDER; i++) { s = ORDER[i]; p = ck(s, "keepalive", maxw); q = ck(s, "close", maxw)
		if ((p in RUNS_N) && (q in RUNS_N))
			out(sprintf("  %s, keep-alive vs close, %s: %s%s", dn(s), cores(maxw), ratio(p, q, "req_per_s"), mark(p, q))) }
	section("Scaling with cores:")
	if (maxw > 1) for (m in MODE) for (i = 1; i <= NORDER; i++) { s = ORDER[i]; p = ck(s, m, maxw); q = ck(s, m, 1)
		if ((p in RUNS_N) && (q in RUNS_N))
			out(sprintf("  %s, %s, %s vs 1 core: %s%s", dn(s), mn(m), cores(maxw), ratio(p, q, "req_per_s"), mark(p, q))) }
	# 3. MTU: the largest against 1500.
	maxmtu = 0; for (u in MTU) if (u + 0 > maxmtu) maxmtu = u + 0
	section("MTU (" psm ", Gbit/s):")
	if (maxmtu > 1500 && (1500 in MTU)) for (m in MODEM) for (i = 1; i <= NORDER; i++) {
		s = ORDER[i]; p = mk(s, m, maxmtu); q = mk(s, m, 1500)
		if ((p in RUNS_N) && (q in RUNS_N))
			out(sprintf("  %s, %s, MTU %d vs 1500: %s%s", dn(s), mn(m), maxmtu, ratio(p, q, "gbit_per_s"), mark(p, q))) }
	# 4. Concurrency: the best point, and the most connections against it.
	maxc = 0; for (c in CONC) if (c + 0 > maxc) maxc = c + 0
	section("Concurrency:")
	for (m in MODEN) for (i = 1; i <= NORDER; i++) { s = ORDER[i]; best = -1
		for (c in CONC) { p = "N" SUBSEP s SUBSEP m SUBSEP c; x = runs_median(p, "req_per_s")
			if (x != "" && x + 0 > best) { best = x + 0; bc = c } }
		if (best < 0) continue
		pb = "N" SUBSEP s SUBSEP m SUBSEP bc; p = "N" SUBSEP s SUBSEP m SUBSEP maxc
		line = sprintf("  %s, %s: best at %s connections (%s req/s, p99 %s us)", dn(s), mn(m), bc, fmt(best), fmt(runs_median(pb, "lat_p99_us")))
		if ((p in RUNS_N) && bc != maxc)
			line = line sprintf("; at %d connections: p99 %s us, req/s against the best %s", maxc, fmt(runs_median(p, "lat_p99_us")), ratio(p, pb, "req_per_s"))
		out(line ((runs_cb(pb) || runs_cb(p)) ? "  [client-bound runs]" : "")) }
	# 5. Page sets: the fastest server per set, and by how much.
	np = split("tiny 10k 150k 1m corpus", pso, " ")
	for (ps in PSET) { known = 0; for (j = 1; j <= np; j++) if (pso[j] == ps) known = 1; if (!known) pso[++np] = ps }
	section("Page sets (fastest server per set):")
	for (m in MODEP) for (j = 1; j <= np; j++) { ps = pso[j]; best = -1; second = -1
		for (i = 1; i <= NORDER; i++) { s = ORDER[i]; x = runs_median("P" SUBSEP s SUBSEP m SUBSEP ps, "req_per_s")
			if (x == "") continue
			if (x + 0 > best) { second = best; ss = bs; best = x + 0; bs = s } else if (x + 0 > second) { second = x + 0; ss = s } }
		if (best < 0) continue
		p = "P" SUBSEP bs SUBSEP m SUBSEP ps; q = "P" SUBSEP ss SUBSEP m SUBSEP ps
		line = sprintf("  %s, %s: %s, %s req/s, %s Gbit/s", ps, mn(m), dn(bs), fmt(best), fmt(runs_median(p, "gbit_per_s")))
		if (second > 0) line = line sprintf("; %s vs %s: %s", dn(bs), dn(ss), ratio(p, q, "req_per_s"))
		out(line ((runs_cb(p) || (second > 0 && runs_cb(q))) ? "  [client-bound]" : "")) }
	# 6. Latency under open-loop load.
	section("p99 latency under open-loop load (* = client-bound):")
	nf = 0; for (x in FRAC) frs[++nf] = x + 0
	bs_sort(frs, nf)
	for (i = 1; i <= NORDER; i++) { s = ORDER[i]; line = ""
		for (a = 1; a <= nf; a++) { p = "L" SUBSEP s SUBSEP frs[a]; if (!(p in RUNS_N)) continue
			line = line sprintf("%s%d%% of peak (%s req/s): %s us%s", line == "" ? "" : ", ", frs[a] * 100,
				fmt(runs_median(p, "target_rate")), fmt(runs_median(p, "lat_p99_us")), runs_cb(p) ? "*" : "") }
		if (line != "") out(sprintf("  %s: %s", dn(s), line)) }
	# 7. Points whose repetitions ran in different states (one line per
	# point, however many families share its runs).
	section("Points whose repetitions ran in different states (load generator CPU per request " STATE_SPREAD "x or more apart;")
	for (j = 1; j <= npoints; j++) { p = PORDER[j]; n = runs_values(p, "loadgen_cpu_us_per_req", V)
		if (n < 2 || (PDESC[p] in STATE_SEEN)) continue
		lo = hi = V[1]; for (i = 2; i <= n; i++) { if (V[i] < lo) lo = V[i]; if (V[i] > hi) hi = V[i] }
		if (hi < STATE_SPREAD * lo) continue
		STATE_SEEN[PDESC[p]] = 1
		if (!sec_lines) out("its ratios carry the spread in their intervals; docs/attribution.md):")
		out(sprintf("  %s: %s-%s us per request over %d runs (%.1fx)", PDESC[p], fmt(lo), fmt(hi), n, hi / lo)) }
	# 8. What was left out, and why.
	section("Runs not counted (failed or stalled: never a peak or a ratio above):")
	for (i = 1; i <= nfailed; i++)
		out(sprintf("  %s, repeat %s: %s; failed requests %s, bound %s (%s%s)", FDESC[i], FREP[i] == "" ? "n/a" : FREP[i],
			FSTATUS[i], FREQ[i], FBOUND[i], FROW[i], (i in FREASON) ? "; " FREASON[i] : ""))
}
