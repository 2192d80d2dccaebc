#!/usr/bin/env bash
# Every figure, from the CSV alone (gnuplot, SVG and PNG).
#
#   scripts/plots.sh [CSV...] [OUTDIR]
#
# CSV defaults to the newest results/sweep-*.csv; OUTDIR to plots/out.
# Several CSVs are read as one set of runs (same columns expected).
# Figures (one per mode present in the data, "ka" = keepalive):
#   cores-MODE-rps, cores-MODE-gbps   req/s and Gbit/s against server cores
#   mtu-MODE-rps, mtu-MODE-gbps       against link MTU
#   concurrency-MODE-rps, -p99        against connections (log scale)
#   pagesets-MODE-rps, -gbps          per page set
#   latency-p99                       p99 latency against offered load (open loop)
#   latency-p99-uncorrected           the same from the actual send (what a client blind
#                                     to coordinated omission would report)
#   cpu-MODE                          server CPU per request, user/sys/softirq
#   timeline-NAME[-N]                 one run over time: requests/s, failures, p50/p99
#                                     latency per interval (loadgen --timeline), for
#                                     each timeline file: given as an argument, or in
#                                     NAME-timelines/ beside a CSV NAME.csv (where
#                                     scripts/run-point.sh puts them with TIMELINE=1);
#                                     -N numbers the runs of a file holding several
#   latency-slo                       each server's latency-throughput curve from its SLO
#                                     searches (loadgen --search): achieved req/s against the
#                                     latency at the SLO's percentile, the knee starred
# Each point is the median of its good runs with a min-max bar; a circle marks
# a point where a run was client-bound (its value is the client's limit).
# Runs that are not results never touch a line or a bar: a failed run (status
# errors, server_died, ...; in a CSV older than the status column, over 0.1%
# failed requests) is a cross, a stalled run an open triangle, in its server's
# colour (dark red in cpu-MODE, where a bar is one server), at its
# measured value or at the bottom of the axis when it has none; a point whose
# runs all failed is a break in its line. The key names them only when present.
# PLOTS_DATA=dir keeps the data files gnuplot reads there (one folder per figure).
set -u
BB_PROG=plots
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$BB_ROOT/scripts/lib/columns.sh"

csvs=() timelines=() outdir=""
is_timeline() { head -n 1 "$1" | grep -q '^interval,phase,'; } # loadgen --timeline's header
for a in "$@"; do
	if [ -f "$a" ]; then
		if is_timeline "$a"; then timelines+=("$a"); else csvs+=("$a"); fi
	elif [[ $a == *.csv ]]; then bb_die "no such CSV: $a"
	else outdir=$a; fi
done
outdir=${outdir:-$BB_ROOT/plots/out}
if [ ${#csvs[@]} -eq 0 ] && [ ${#timelines[@]} -eq 0 ]; then
	latest=$(ls -t "$BB_ROOT"/results/sweep-*.csv 2>/dev/null | grep -v -- '-failures.csv$' | head -n 1)
	[ -n "$latest" ] || bb_die "no CSV given and none in results/ (make sweep, or CSV=path)"
	csvs=("$latest")
fi
command -v gnuplot >/dev/null || bb_die "gnuplot is not installed (make deps)"
for c in "${csvs[@]}"; do
	head -n 1 "$c" | grep -q '^[A-Za-z_]' || bb_die "$c: no header row"
	for t in "${c%.csv}"-timelines/*.csv; do
		[ -f "$t" ] && is_timeline "$t" && timelines+=("$t")
	done
done
mkdir -p "$outdir" || exit 1
if [ -n "${PLOTS_DATA:-}" ]; then
	# The data files gnuplot reads, kept (one folder per figure): for tests and debugging.
	tmp=$PLOTS_DATA
	mkdir -p "$tmp" || exit 1
else
	tmp=$(mktemp -d /tmp/bypassbench-plots.XXXXXX) || exit 1
	trap 'rm -rf "$tmp"' EXIT
fi

made=0

# timeline_figures FILE: one figure per run (run_start) of a timeline file.
# Files in $tmp/timeline-NAME: run-N.dat (start end mid req/s p50 p99
# failed, "-" where an interval has no request) and runs (one line per run:
# N measure_at drain_at end has_fail has_lat title).
timeline_figures() {
	local file=$1 base d
	base=$(basename "$file" .csv)
	d=$tmp/timeline-$base
	mkdir -p "$d"
	awk -f "$BB_ROOT/scripts/lib/csv.awk" -v dir="$d" -f /dev/fd/3 "$file" 3<<'AWK' || return 1
function cell(f, name,    v) { v = csv_get(f, name); return v == "" ? "-" : v }
NR == 1 { csv_header($0); next }
{
	csv_split($0, f)
	k = csv_get(f, "run_start")
	if (!(k in run)) {
		run[k] = ++n; measure[n] = 0; drain[n] = ""; fail[n] = 0; lat[n] = 0
		rate = csv_get(f, "target_rate"); srv = csv_get(f, "server"); ps = csv_get(f, "page_set")
		rep = csv_get(f, "repeat")
		title[n] = sprintf("%s, %s, %s connections, %s%s%s", srv == "" ? "unnamed server" : srv,
			csv_get(f, "mode"), csv_get(f, "connections"), rate == "" ? "closed loop" : rate " req/s offered",
			ps == "" ? "" : ", page set " ps, rep == "" ? "" : ", rep " rep)
		start[n] = k
	}
	r = run[k]; ph = csv_get(f, "phase"); s = csv_get(f, "start_s"); e = csv_get(f, "end_s")
	if (ph == "warmup") measure[r] = e
	if (ph == "drain") drain[r] = s
	last[r] = e
	if (csv_get(f, "failed") + 0 > 0) fail[r] = 1
	if (csv_get(f, "lat_p99_us") != "") lat[r] = 1
	# Empty cells as "-" (gnuplot's missing value), so columns never shift.
	# The drain's rate is left out: a tail of requests, not a rate of load.
	printf "%s %s %s %s %s %s %s\n", s, e, (s + e) / 2, ph == "drain" ? "-" : cell(f, "req_per_s"), cell(f, "lat_p50_us"),
		cell(f, "lat_p99_us"), csv_get(f, "failed") + 0 > (dir "/run-" r ".dat")
}
END {
	for (r = 1; r <= n; r++)
		printf "%d %s %s %s %d %d %s (load started %s)\n", r, measure[r], drain[r] == "" ? last[r] : drain[r],
			last[r], fail[r], lat[r], title[r], start[r] > (dir "/runs")
}
AWK
	[ -s "$d/runs" ] || { bb_log "plots: $file: no interval rows, skipped"; return 0; }
	local nruns r m dr end hf hl ttl name
	nruns=$(wc -l <"$d/runs")
	while read -r r m dr end hf hl ttl; do
		name=timeline-$base
		[ "$nruns" -gt 1 ] && name+=-$r
		for fmt in svg png; do
			gnuplot -e "fmt='$fmt'; out='$outdir/$name.$fmt'; file='$d/run-$r.dat'" \
				-e "ttl='Load over time: ${ttl//\'/}'; subttl='$(basename "$file")'" \
				-e "measure_at=$m; drain_at=$dr; x_end=$end; has_fail=$hf; has_lat=$hl" \
				"$BB_ROOT/plots/timeline.gp" 2>"$d/gnuplot.err" ||
				{ bb_log "plots: $name.$fmt: gnuplot failed: $(tail -n 3 "$d/gnuplot.err")"; return 1; }
		done
		echo "plots: $outdir/$name.svg (.png)"
		made=$((made + 1))
	done <"$d/runs"
}
for t in "${timelines[@]}"; do
	timeline_figures "$t" || exit 1
done
if [ ${#csvs[@]} -eq 0 ]; then
	echo "plots: $made figures (SVG and PNG) in $outdir from ${timelines[*]}"
	exit 0
fi

agg() { # where by metrics [status] -> stdout (aggregate.awk; status good|bad, default good)
	awk -f "$BB_ROOT/scripts/lib/csv.awk" -f "$BB_ROOT/scripts/lib/aggregate.awk" \
		-v short=1 -v status="${4:-good}" -v where="$1" -v by="$2" -v metrics="$3" "${csvs[@]}"
}

# The context line under every title: machine, kernel, commit of the runs.
subttl=$(awk -f "$BB_ROOT/scripts/lib/csv.awk" -f /dev/fd/3 "${csvs[0]}" 3<<'EOF'
NR == 1 { csv_header($0); next }
NR == 2 { csv_split($0, f)
	printf "%s, %s, kernel %s, commit %s", csv_get(f, "host"), csv_get(f, "cpu_model"), csv_get(f, "kernel"), csv_get(f, "commit"); exit }
EOF
)

# Series in a stable order: ours, then the reference servers, then the rest.
order_servers() { # names... -> ordered
	local known="epoll tpc uring xdp nginx lighttpd epoll-busy uring-busy xdp-busy" s out=()
	for s in $known; do [[ " $* " == *" $s "* ]] && out+=("$s"); done
	for s in "$@"; do [[ " $known " == *" $s "* ]] || out+=("$s"); done
	echo "${out[*]}"
}

modes=$({ agg "" mode "$COL_RPS"; agg "" mode "$COL_RPS" bad; } | awk '!seen[$1]++ { print $1 }')

# line_figure NAME TITLE XLABEL YLABEL LOGX LOGY WHERE XCOL METRIC [cats]
# Files in $tmp/NAME, per server S (in plots/lines.gp's order, $series):
#   S.dat      its good runs' points: x median min max runs client_bound, a
#              blank line (a break in the line) where every run failed; a
#              series without any good point has one point of NaN (its key entry)
#   S.failed   its failed runs (errors, server_died, ...): x value
#   S.stalled  its stalled runs: x value (value 0 when the run has none)
# With cats=1, x is the index of the category (xtics names them).
line_figure() {
	local name=$1 ttl=$2 xl=$3 yl=$4 logx=$5 logy=$6 where=$7 xcol=$8 metric=$9 cats=${10:-0}
	local d=$tmp/$name
	mkdir -p "$d"
	agg "$where" "server,$xcol" "$metric" >"$d/all"
	agg "$where" "server,$xcol" "$metric" bad >"$d/bad"
	[ -s "$d/all" ] || [ -s "$d/bad" ] || { bb_log "plots: $name: no data, skipped"; return 0; }
	local s servers=()
	for s in $(awk '{ print $1 }' "$d/all" "$d/bad" | sort -u); do servers+=("$s"); done
	read -r -a servers <<<"$(order_servers "${servers[@]}")"
	local xtics=""
	if [ "$cats" = 1 ]; then
		# x is a category: page sets in their natural order, then any other in
		# the order met; one index for every series and marker.
		awk -v order="tiny 10k 150k 1m corpus" '
			BEGIN { n = split(order, o, " "); for (i = 1; i <= n; i++) idx[o[i]] = i }
			!($2 in idx) { idx[$2] = ++n }
			!seen[$2]++ { print $2, idx[$2] }' "$d/all" "$d/bad" | sort -k2,2n | awk '{ print $1, NR }' >"$d/cats"
		xtics=$(awk '{ printf "%s\"%s\" %d", (NR > 1 ? ", " : ""), $1, $2 }' "$d/cats")
	fi
	local fidx="" sidx="" i=0
	for s in "${servers[@]}"; do
		i=$((i + 1))
		# The good points, and a blank line (gnuplot breaks the line there)
		# where the series has runs but none good: never a line across them.
		awk -v s="$s" -v cats="$cats" '
			FILENAME ~ /\/cats$/ { idx[$1] = $2; next }
			$1 != s { next }
			FILENAME ~ /\/all$/ { good[$2] = 1; x = cats ? idx[$2] " " $2 : $2; print x, $3, $4, $5, $6, $7; next }
			!($2 in good) && !gap[$2]++ { print (cats ? idx[$2] : $2) }' \
			"$([ "$cats" = 1 ] && echo "$d/cats" || echo /dev/null)" "$d/all" "$d/bad" |
			sort -g -k1,1 | awk -v cats="$cats" '
				NF == 1 { if (n) brk = 1; else if (first == "") first = $1; next }
				{ if (brk) print ""; brk = 0; n++; print }
				# No good point at all: one undefined point, so the key still names the series.
				END { if (!n) print first, (cats ? "- " : "") "NaN NaN NaN 0 0" }' >"$d/$s.dat"
		# The runs that are not results, at their measured value (0: none).
		rm -f "$d/$s.failed" "$d/$s.stalled"
		awk -v s="$s" -v cats="$cats" -v dir="$d" '
			FILENAME ~ /\/cats$/ { idx[$1] = $2; next }
			$1 != s { next }
			{ v = ($3 == "-") ? 0 : $3; x = cats ? idx[$2] : $2
			  print x, v > (dir "/" s ($4 == "stalled" ? ".stalled" : ".failed")) }' \
			"$([ "$cats" = 1 ] && echo "$d/cats" || echo /dev/null)" "$d/bad"
		if [ -s "$d/$s.failed" ]; then fidx+="$i "; else : >"$d/$s.failed"; fi
		if [ -s "$d/$s.stalled" ]; then sidx+="$i "; else : >"$d/$s.stalled"; fi
		[ "$logy" = 1 ] && awk -v c=$((cats + 2)) 'NF && $c != "-" && $c != "NaN" && $c <= 0 { bad = 1 } END { exit !bad }' "$d/$s.dat" &&
			bb_log "plots: $name: $s has zero values, drawn off the log scale"
	done
	local has_cb=0 xmin="" xmax="" has_vals=0
	awk '$NF == 1 { f = 1 } END { exit !f }' "$d/all" && has_cb=1
	# Anything on the y axis but the markers of runs without a value.
	awk '$3 != "-" && $3 > 0 { f = 1 } END { exit !f }' "$d/all" "$d/bad" && has_vals=1
	if [ "$xcol" = workers ]; then
		xmax=$(awk '{ print $2 }' "$d/all" "$d/bad" | sort -n | tail -n 1)
		xmin=0.5 xmax=$((xmax)).5
	elif [ "$xcol" = target_rate ]; then
		xmin=0 # offered load starts at nothing
	fi
	local titles=()
	for s in "${servers[@]}"; do titles+=("$(display_name "$s")"); done
	for fmt in svg png; do
		gnuplot -e "fmt='$fmt'; out='$outdir/$name.$fmt'; ttl='$ttl'; subttl='$subttl'; xl='$xl'; yl='$yl'" \
			-e "logx=$logx; logy=$logy; dir='$d'; series='${servers[*]}'; titles='${titles[*]}'; has_cb=$has_cb; cats=$cats" \
			-e "xmin='$xmin'; xmax='$xmax'; xtics_list='$xtics'; failed_idx='${fidx% }'; stalled_idx='${sidx% }'; has_vals=$has_vals" \
			"$BB_ROOT/plots/lines.gp" 2>"$d/gnuplot.err" ||
			{ bb_log "plots: $name.$fmt: gnuplot failed: $(tail -n 3 "$d/gnuplot.err")"; return 1; }
	done
	echo "plots: $outdir/$name.svg (.png)"
	made=$((made + 1))
}

# cpu_figure MODE. Files in $tmp/cpu-MODE:
#   bars.dat     one row per server: label user sys softirq total_median
#                total_min total_max client_bound ("-": every run failed)
#   bad.failed, bad.stalled   runs that are not results: row (0-based) total
cpu_figure() { # mode
	local mode=$1 name=cpu-$1 d=$tmp/cpu-$1 w
	mkdir -p "$d"
	# At the largest core count of the cores sweep (else any closed-loop base runs).
	w=$({ agg "sweep~cores;mode=$mode" workers "$COL_RPS"; agg "sweep~cores;mode=$mode" workers "$COL_RPS" bad; } |
		awk '{ print $1 }' | sort -n | tail -n 1)
	local where="sweep~cores;mode=$mode;workers=${w:-1}"
	[ -n "$w" ] || where="mode=$mode;target_rate="
	agg "$where" server "@server_user_us_per_req,@server_sys_us_per_req,@server_softirq_us_per_req,server_cpu_us_per_req" >"$d/all"
	agg "$where" server "server_cpu_us_per_req" bad >"$d/bad"
	[ -s "$d/all" ] || [ -s "$d/bad" ] || { bb_log "plots: $name: no data, skipped"; return 0; }
	local s servers=()
	for s in $(awk '!seen[$1]++ { print $1 }' "$d/all" "$d/bad"); do servers+=("$s"); done
	read -r -a servers <<<"$(order_servers "${servers[@]}")"
	: >"$d/bars.dat"
	rm -f "$d/bad.failed" "$d/bad.stalled"
	local row=0
	for s in "${servers[@]}"; do
		awk -v s="$s" -v t="$(display_name "$s")" '
			$1 == s { print "\"" t "\"", $2, $5, $8, $11, $12, $13, $NF; found = 1 }
			END { if (!found) print "\"" t "\"", "- - - - - - 0" }' "$d/all" >>"$d/bars.dat"
		awk -v s="$s" -v row="$row" -v dir="$d" '
			$1 == s { print row, ($2 == "-" ? 0 : $2) >> (dir "/bad." ($3 == "stalled" ? "stalled" : "failed")) }' "$d/bad"
		row=$((row + 1))
	done
	local has_cb=0 has_failed=0 has_stalled=0
	awk '$NF == 1 { f = 1 } END { exit !f }' "$d/bars.dat" && has_cb=1
	if [ -s "$d/bad.failed" ]; then has_failed=1; else : >"$d/bad.failed"; fi
	if [ -s "$d/bad.stalled" ]; then has_stalled=1; else : >"$d/bad.stalled"; fi
	for fmt in svg png; do
		gnuplot -e "fmt='$fmt'; out='$outdir/$name.$fmt'; file='$d/bars.dat'; has_cb=$has_cb" \
			-e "failed='$d/bad.failed'; stalled='$d/bad.stalled'; has_failed=$has_failed; has_stalled=$has_stalled" \
			-e "ttl='Server CPU per request, $(mode_name "$mode"), ${w:-1} server core(s) (median of good runs; server cores only)'; subttl='$subttl'" \
			-e "yl='CPU time per request (µs)'" "$BB_ROOT/plots/cpu.gp" 2>"$d/gnuplot.err" ||
			{ bb_log "plots: $name.$fmt: gnuplot failed: $(tail -n 3 "$d/gnuplot.err")"; return 1; }
	done
	echo "plots: $outdir/$name.svg (.png)"
	made=$((made + 1))
}

# slo_figure: the steps of the latency sweep's searches (loadgen --search,
# rows with a search_phase). Every step is drawn, whatever its verdict or
# status (a failed step is the curve past its knee). Files in $tmp/latency-slo
# (plots/slo.gp): S.steps (req/s, latency at the SLO's percentile in us,
# 1 passed, 2 client-bound, 0 failed otherwise), S.knee (the knee rows'
# req/s and latency).
slo_figure() {
	local name=latency-slo d=$tmp/latency-slo
	mkdir -p "$d"
	awk -f "$BB_ROOT/scripts/lib/csv.awk" -v dir="$d" -f /dev/fd/3 "${csvs[@]}" 3<<'EOF' || return 1
FNR == 1 { for (k in COL) delete COL[k]; csv_header($0); next }
{
	csv_split($0, f)
	ph = csv_get(f, "search_phase"); lat = csv_get(f, "slo_latency_us")
	if (ph == "" || lat == "") next
	s = csv_get(f, "server"); sub(/^httpd-/, "", s); gsub(/[ \t]/, "_", s)
	if (!(s in seen)) { seen[s] = 1; print s > (dir "/servers") }
	if (slo == "") slo = csv_get(f, "slo")
	# A knee row whose capacity is 0 (no rate met the SLO) has no star.
	if (ph == "knee") { if (csv_get(f, "slo_capacity_req_s") + 0 > 0) print csv_get(f, "req_per_s"), lat > (dir "/" s ".knee") }
	else { v = csv_get(f, "slo_verdict")
		print csv_get(f, "req_per_s"), lat, (v == "pass") ? 1 : (v == "client_bound") ? 2 : 0 > (dir "/" s ".steps.unsorted") }
}
END { if (slo != "") print slo > (dir "/slo") }
EOF
	[ -s "$d/servers" ] || { bb_log "plots: $name: no data, skipped"; return 0; }
	local s servers=() titles=() slo slo_us
	read -r -a servers <<<"$(order_servers $(cat "$d/servers"))"
	for s in "${servers[@]}"; do
		if [ -s "$d/$s.steps.unsorted" ]; then sort -g -k1,1 "$d/$s.steps.unsorted" >"$d/$s.steps"; else echo "NaN NaN 0" >"$d/$s.steps"; fi
		[ -s "$d/$s.knee" ] || echo "NaN NaN" >"$d/$s.knee"
		titles+=("$(display_name "$s")")
	done
	slo=$(cat "$d/slo")
	# The bound in us, from the SLO's text (pP=T with ns/us/ms/s).
	slo_us=$(awk -v t="${slo#*=}" 'BEGIN { n = t + 0; u = t; sub(/^[0-9.]+/, "", u)
		m = (u == "ns") ? 0.001 : (u == "us") ? 1 : (u == "ms") ? 1000 : 1e6; print n * m }')
	for fmt in svg png; do
		gnuplot -e "fmt='$fmt'; out='$outdir/$name.$fmt'; ttl='Capacity under the SLO $slo: the steps of each search (open loop, from the intended send time)'; subttl='$subttl'" \
			-e "xl='achieved requests/s'; yl='${slo%%=*} latency (µs)'; dir='$d'; series='${servers[*]}'; titles='${titles[*]}'; slo_us=$slo_us; slo_text='$slo'" \
			"$BB_ROOT/plots/slo.gp" 2>"$d/gnuplot.err" ||
			{ bb_log "plots: $name.$fmt: gnuplot failed: $(tail -n 3 "$d/gnuplot.err")"; return 1; }
	done
	echo "plots: $outdir/$name.svg (.png)"
	made=$((made + 1))
}

for m in $modes; do
	mn=$(mode_name "$m")
	line_figure "cores-$m-rps" "Requests/s against server cores, $mn" "server cores (workers)" "requests/s" 0 0 "sweep~cores;mode=$m" workers "$COL_RPS"
	line_figure "cores-$m-gbps" "Throughput against server cores, $mn" "server cores (workers)" "Gbit/s (HTTP payload)" 0 0 "sweep~cores;mode=$m" workers "$COL_GBPS"
	line_figure "mtu-$m-rps" "Requests/s against MTU, $mn" "link MTU (bytes)" "requests/s" 0 0 "sweep~mtu;mode=$m" mtu "$COL_RPS"
	line_figure "mtu-$m-gbps" "Throughput against MTU, $mn" "link MTU (bytes)" "Gbit/s" 0 0 "sweep~mtu;mode=$m" mtu "$COL_GBPS"
	line_figure "concurrency-$m-rps" "Requests/s against concurrent connections, $mn" "connections" "requests/s" 1 0 "sweep~concurrency;mode=$m" connections "$COL_RPS"
	line_figure "concurrency-$m-p99" "p99 latency against concurrent connections, $mn (closed loop)" "connections" "p99 latency (µs)" 1 1 "sweep~concurrency;mode=$m" connections "$COL_P99"
	line_figure "pagesets-$m-rps" "Requests/s per page set, $mn" "page set" "requests/s" 0 1 "sweep~pagesets;mode=$m" page_set "$COL_RPS" 1
	line_figure "pagesets-$m-gbps" "Throughput per page set, $mn" "page set" "Gbit/s" 0 0 "sweep~pagesets;mode=$m" page_set "$COL_GBPS" 1
	cpu_figure "$m"
done
# The fixed fractions of the peak only: a search's steps have a figure of their own.
line_figure "latency-p99" "p99 latency against offered load (open loop, from the intended send time)" "offered load (requests/s)" "p99 latency (µs)" 0 1 "sweep~latency;target_rate!=;search_phase=" target_rate "$COL_P99"
line_figure "latency-p99-uncorrected" "p99 latency against offered load (open loop, from the actual send: uncorrected for coordinated omission)" "offered load (requests/s)" "p99 latency (µs)" 0 1 "sweep~latency;target_rate!=;search_phase=" target_rate "$COL_P99_UNCORRECTED"
slo_figure

[ "$made" -gt 0 ] || bb_die "no figure could be drawn from ${csvs[*]}"
echo "plots: $made figures (SVG and PNG) in $outdir from ${csvs[*]}${timelines[*]:+ and the timelines ${timelines[*]}}"
