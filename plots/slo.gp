# Each server's latency-throughput curve from its SLO searches (loadgen
# --search): every step's achieved req/s against its latency at the SLO's
# percentile (both log scale: the exponential steps spread evenly), joined
# in order of rate; a filled point passed, an open circle failed (over the
# SLO or with failed requests), a triangle was client-bound; a star marks
# the knee (the capacity under the SLO) and a dashed line the SLO itself.
# Called by scripts/plots.sh with -e settings:
#   fmt ('svg'|'png') out ttl subttl xl yl dir series titles slo_us slo_text
# dir/<series>.steps:  req_per_s latency_us verdict (1 pass, 2 client-bound,
#                      0 failed otherwise), sorted by req_per_s
# dir/<series>.knee:   req_per_s latency_us, one line per search (may be empty)
term_svg = "set terminal svg size 960,600 dynamic noenhanced font 'Helvetica,14' background rgb 'white'"
term_png = "set terminal pngcairo size 960,600 noenhanced font 'Helvetica,11' background rgb 'white'"
if (fmt eq 'svg') { eval term_svg } else { eval term_png }
set output out
set title ttl."\n".subttl
set xlabel xl
set ylabel yl
set grid
set key outside right top box opaque
set border 3
set xtics nomirror
set ytics nomirror
set logscale y
set format y '%.0s%c'
set logscale x
set format x '%.0s%c'
set offsets graph 0.02, graph 0.04, graph 0.08, 0
array colors[9] = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22']
n = words(series)
set arrow 1 from graph 0, first slo_us to graph 1, first slo_us nohead lc rgb '#555555' dt 2 lw 1.5
plot \
	for [i=1:n] dir.'/'.word(series, i).'.steps' using 1:2 with lines lc rgb colors[(i - 1) % 9 + 1] lw 2 \
		title word(titles, i), \
	for [i=1:n] dir.'/'.word(series, i).'.steps' using 1:($3 == 1 ? $2 : NaN) with points pt 7 ps 1.1 \
		lc rgb colors[(i - 1) % 9 + 1] notitle, \
	for [i=1:n] dir.'/'.word(series, i).'.steps' using 1:($3 == 0 ? $2 : NaN) with points pt 6 ps 1.1 \
		lc rgb colors[(i - 1) % 9 + 1] notitle, \
	for [i=1:n] dir.'/'.word(series, i).'.steps' using 1:($3 == 2 ? $2 : NaN) with points pt 8 ps 1.3 \
		lc rgb colors[(i - 1) % 9 + 1] notitle, \
	for [i=1:n] dir.'/'.word(series, i).'.knee' using 1:2 with points pt 3 ps 3 lw 2 \
		lc rgb colors[(i - 1) % 9 + 1] title (i == 1 ? 'knee (capacity)' : ''), \
	NaN with lines lc rgb '#555555' dt 2 title 'SLO '.slo_text, \
	NaN with points pt 6 ps 1.1 lc rgb 'black' title 'step: over the SLO or failures', \
	NaN with points pt 8 ps 1.3 lc rgb 'black' title 'step: client-bound'
