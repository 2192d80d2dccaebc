#!/usr/bin/env bash
# The headline numbers of a sweep in plain sentences, from the CSV alone.
#
#   scripts/summary.sh [CSV...]       (default: the newest results/sweep-*.csv)
#
# Every figure is a median over the runs of a point; a ratio is A's median
# over B's, within the same CSV. A comparison involving a client-bound point
# says so: there the number is the load generator's limit, not the server's.
set -u
BB_PROG=summary
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$BB_ROOT/scripts/lib/columns.sh"

csvs=("$@")
if [ ${#csvs[@]} -eq 0 ]; then
	latest=$(ls -t "$BB_ROOT"/results/sweep-*.csv 2>/dev/null | grep -v -- '-failures.csv$' | head -n 1)
	[ -n "$latest" ] || bb_die "no CSV given and none in results/ (make sweep, or CSV=path)"
	csvs=("$latest")
fi
for c in "${csvs[@]}"; do [ -s "$c" ] || bb_die "no such CSV or empty: $c"; done

agg() { # where by metrics
	awk -f "$BB_ROOT/scripts/lib/csv.awk" -f "$BB_ROOT/scripts/lib/aggregate.awk" \
		-v short=1 -v where="$1" -v by="$2" -v metrics="$3" "${csvs[@]}"
}
names() { local s out=""; for s in $1; do out+="$s=$(display_name "$s") "; done; echo "$out"; }
NAMES=$(names "epoll tpc uring xdp nginx lighttpd")

total=$(agg "" status "$COL_RPS" | awk '{ n += $(NF - 1) } END { print n + 0 }')
echo "--- Summary of ${csvs[*]} ---"
echo "$total successful runs; every number is a median of the runs of its point (min-max in the plots)."
failures=${csvs[0]%.csv}-failures.csv
[ -s "$failures" ] && echo "$(($(wc -l <"$failures") - 1)) failed runs are listed in $failures."
echo

# Sentences come from one awk program fed with aggregated lines:
#   KIND key... median min max runs client_bound
{
	# Per server, mode and core count, base page set and connections (cores sweep).
	agg "sweep~cores" "server,mode,workers,page_set" "$COL_RPS,$COL_GBPS,server_cpu_us_per_req,machine_cpu_us_per_req" | sed 's/^/C /'
	agg "sweep~mtu" "server,mode,mtu,page_set" "$COL_RPS,$COL_GBPS" | sed 's/^/M /'
	agg "sweep~concurrency" "server,mode,connections" "$COL_RPS,$COL_P99" | sed 's/^/N /'
	agg "sweep~pagesets" "server,mode,page_set" "$COL_RPS,$COL_GBPS" | sed 's/^/P /'
	agg "sweep~latency;target_rate!=" "server,load_fraction,target_rate" "$COL_P99" | sed 's/^/L /'
} | awk -v names="$NAMES" '
function dn(s) { return (s in DN) ? DN[s] : s }
# A section prints its title before its first line, and nothing when empty.
function section(t) { if (sec_lines) print ""; title = t; sec_lines = 0 }
function out(line) { if (!sec_lines++) print title; print line }
function mn(m) { return m == "keepalive" ? "keep-alive" : m }
function cores(w) { return w " core" (w == 1 ? "" : "s") }
function fmt(x) { return x >= 100 ? sprintf("%\047.0f", x) : x >= 10 ? sprintf("%.1f", x) : sprintf("%.2f", x) }
function ratio(a, b) { return (a != "-" && b + 0 > 0) ? sprintf("%.2fx", a / b) : "n/a" }
function mark(ca, cb) { return (ca || cb) ? "  [client-bound: " ((ca && cb) ? "both" : ca ? "first" : "second") " -- the load generator'"'"'s limit, not the server'"'"'s]" : "" }
BEGIN {
	n = split(names, nm, " ")
	for (i = 1; i <= n; i++) { split(nm[i], kv, "="); DN[kv[1]] = kv[2]; ORDER[i] = kv[1] }
	NORDER = n
	# Which comparisons are headlines: the engine against the baseline.
	npairs = split("uring:epoll xdp:epoll tpc:epoll epoll:nginx epoll:lighttpd uring:nginx xdp:nginx", pairs, " ")
}
$1 == "C" { k = $2 SUBSEP $3 SUBSEP $4; ps[$3] = $5; RPS_C[k] = $6; GB_C[k] = $9; CPU_C[k] = $12; MCPU_C[k] = $15; CB_C[k] = $NF; SRV[$2] = 1; MODE[$3] = 1; W[$4] = 1 }
$1 == "M" { k = $2 SUBSEP $3 SUBSEP $4; RPS_M[k] = $6; GB_M[k] = $9; CB_M[k] = $NF; MTU[$4] = 1; SRVM[$2] = 1; MODEM[$3] = 1; psm = $5 }
$1 == "N" { k = $2 SUBSEP $3 SUBSEP $4; RPS_N[k] = $5; P99_N[k] = $8; CB_N[k] = $NF; CONC[$4] = 1; SRVN[$2] = 1; MODEN[$3] = 1 }
$1 == "P" { k = $2 SUBSEP $3 SUBSEP $4; RPS_P[k] = $5; GB_P[k] = $8; CB_P[k] = $NF; PSET[$4] = 1; SRVP[$2] = 1; MODEP[$3] = 1 }
$1 == "L" { k = $2 SUBSEP $3; P99_L[k] = $5; RATE_L[k] = $4; CB_L[k] = $NF; FRAC[$3] = 1; SRVL[$2] = 1 }
END {
	maxw = 0; for (w in W) if (w + 0 > maxw) maxw = w + 0
	# 1. What each server did, at the largest core count.
	section("Peak of each server (closed loop, " cores(maxw) "):")
	for (m in MODE) for (i = 1; i <= NORDER; i++) { s = ORDER[i]; k = s SUBSEP m SUBSEP maxw
		if (!(k in RPS_C)) continue
		out(sprintf("  %s, %s, %s: %s req/s, %s Gbit/s; CPU per request: %s us on the server cores, %s us machine-wide%s",
			dn(s), mn(m), ps[m], fmt(RPS_C[k]), fmt(GB_C[k]), fmt(CPU_C[k]), MCPU_C[k] == "-" ? "n/a" : fmt(MCPU_C[k]),
			CB_C[k] ? "  [client-bound]" : "")) }
	# 2. The headline ratios, req/s, per core count.
	section("Requests/s ratios (cores sweep):")
	for (m in MODE) for (w in W) for (p = 1; p <= npairs; p++) {
		split(pairs[p], ab, ":"); ka = ab[1] SUBSEP m SUBSEP w; kb = ab[2] SUBSEP m SUBSEP w
		if (!(ka in RPS_C) || !(kb in RPS_C)) continue
		out(sprintf("  %s vs %s, %s, %s, %s: %s%s", dn(ab[1]), dn(ab[2]), mn(m), ps[m], cores(w),
			ratio(RPS_C[ka], RPS_C[kb]), mark(CB_C[ka], CB_C[kb]))) }
	section("Server CPU per request ratios (lower is cheaper):")
	for (m in MODE) for (p = 1; p <= npairs; p++) {
		split(pairs[p], ab, ":"); ka = ab[1] SUBSEP m SUBSEP maxw; kb = ab[2] SUBSEP m SUBSEP maxw
		if (!(ka in CPU_C) || !(kb in CPU_C)) continue
		out(sprintf("  %s vs %s, %s, %s, %s: %s (%s vs %s us)%s", dn(ab[1]), dn(ab[2]), mn(m), ps[m], cores(maxw),
			ratio(CPU_C[ka], CPU_C[kb]), fmt(CPU_C[ka]), fmt(CPU_C[kb]), mark(CB_C[ka], CB_C[kb]))) }
	section("Keep-alive against a new connection per request:")
	for (i = 1; i <= NORDER; i++) { s = ORDER[i]; ka = s SUBSEP "keepalive" SUBSEP maxw; kb = s SUBSEP "close" SUBSEP maxw
		if ((ka in RPS_C) && (kb in RPS_C))
			out(sprintf("  %s, keep-alive vs close, %s: %s%s", dn(s), cores(maxw), ratio(RPS_C[ka], RPS_C[kb]), mark(CB_C[ka], CB_C[kb]))) }
	section("Scaling with cores:")
	if (maxw > 1) for (m in MODE) for (i = 1; i <= NORDER; i++) { s = ORDER[i]; ka = s SUBSEP m SUBSEP maxw; kb = s SUBSEP m SUBSEP 1
		if ((ka in RPS_C) && (kb in RPS_C))
			out(sprintf("  %s, %s, %s vs 1 core: %s%s", dn(s), mn(m), cores(maxw), ratio(RPS_C[ka], RPS_C[kb]), mark(CB_C[ka], CB_C[kb]))) }
	# 3. MTU: the largest against 1500.
	maxmtu = 0; for (u in MTU) if (u + 0 > maxmtu) maxmtu = u + 0
	section("MTU (" psm "):")
	if (maxmtu > 1500 && (1500 in MTU)) for (m in MODEM) for (i = 1; i <= NORDER; i++) {
		s = ORDER[i]; ka = s SUBSEP m SUBSEP maxmtu; kb = s SUBSEP m SUBSEP 1500
		if ((ka in GB_M) && (kb in GB_M))
			out(sprintf("  %s, %s, MTU %d vs 1500: %s Gbit/s%s", dn(s), mn(m), maxmtu, ratio(GB_M[ka], GB_M[kb]), mark(CB_M[ka], CB_M[kb]))) }
	# 4. Concurrency: the best point, and the most connections against it.
	maxc = 0; for (c in CONC) if (c + 0 > maxc) maxc = c + 0
	section("Concurrency:")
	for (m in MODEN) for (i = 1; i <= NORDER; i++) { s = ORDER[i]; best = -1
		for (c in CONC) { k = s SUBSEP m SUBSEP c; if ((k in RPS_N) && RPS_N[k] + 0 > best) { best = RPS_N[k] + 0; bc = c } }
		if (best < 0) continue
		k = s SUBSEP m SUBSEP maxc
		line = sprintf("  %s, %s: best at %s connections (%s req/s, p99 %s us)", dn(s), mn(m), bc, fmt(best), fmt(P99_N[s SUBSEP m SUBSEP bc]))
		if ((k in RPS_N) && bc != maxc) line = line sprintf("; at %d connections %s of that, p99 %s us", maxc, ratio(RPS_N[k], best), fmt(P99_N[k]))
		out(line ((CB_N[s SUBSEP m SUBSEP bc] || CB_N[k]) ? "  [client-bound runs]" : "")) }
	# 5. Page sets: the fastest server per set, and by how much.
	np = split("tiny 10k 150k 1m corpus", pso, " ")
	for (p in PSET) { known = 0; for (j = 1; j <= np; j++) if (pso[j] == p) known = 1; if (!known) pso[++np] = p }
	section("Page sets (fastest server per set):")
	for (m in MODEP) for (j = 1; j <= np; j++) { p = pso[j]; best = -1; second = -1
		for (i = 1; i <= NORDER; i++) { s = ORDER[i]; k = s SUBSEP m SUBSEP p
			if (!(k in RPS_P)) continue
			if (RPS_P[k] + 0 > best) { second = best; ss = bs; best = RPS_P[k] + 0; bs = s } else if (RPS_P[k] + 0 > second) { second = RPS_P[k] + 0; ss = s } }
		if (best < 0) continue
		kb = bs SUBSEP m SUBSEP p
		line = sprintf("  %s, %s: %s, %s req/s, %s Gbit/s", p, mn(m), dn(bs), fmt(best), fmt(GB_P[kb]))
		if (second > 0) line = line sprintf("; %s vs %s: %s", dn(bs), dn(ss), ratio(best, second))
		out(line ((CB_P[kb] || (second > 0 && CB_P[ss SUBSEP m SUBSEP p])) ? "  [client-bound]" : "")) }
	# 6. Latency under open-loop load.
	section("p99 latency under open-loop load (* = client-bound):")
	nf = 0; for (f in FRAC) fr[++nf] = f + 0
	for (a = 2; a <= nf; a++) { x = fr[a]; for (b = a - 1; b >= 1 && fr[b] > x; b--) fr[b + 1] = fr[b]; fr[b + 1] = x }
	for (i = 1; i <= NORDER; i++) { s = ORDER[i]; line = ""
		for (a = 1; a <= nf; a++) { k = s SUBSEP fr[a]; if (!(k in P99_L)) continue
			line = line sprintf("%s%d%% of peak (%s req/s): %s us%s", line == "" ? "" : ", ", fr[a] * 100, fmt(RATE_L[k]), fmt(P99_L[k]), CB_L[k] ? "*" : "") }
		if (line != "") out(sprintf("  %s: %s", dn(s), line)) }
}'
