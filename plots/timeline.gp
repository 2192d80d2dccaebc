# One run over time (loadgen --timeline): requests/s on top, p50 and p99
# latency below (log scale), failures per interval as red bars on the top
# panel's right axis. Warm-up intervals on a grey ground, the drain on a
# lighter one; only the measured intervals are the run's figures.
# Called by scripts/plots.sh with -e settings:
#   fmt ('svg'|'png') out ttl subttl file measure_at drain_at x_end has_fail has_lat
# file columns: start end mid req/s p50_us p99_us failed  ('-': no value; the
# drain has no req/s: a tail of requests, not a rate of load)
term_svg = "set terminal svg size 960,720 dynamic noenhanced font 'Helvetica,14' background rgb 'white'"
term_png = "set terminal pngcairo size 960,720 noenhanced font 'Helvetica,11' background rgb 'white'"
if (fmt eq 'svg') { eval term_svg } else { eval term_png }
set output out
set datafile missing '-'
set grid
set border 3
set xtics nomirror
set ytics nomirror
set key outside right top box opaque
set multiplot layout 2,1 title ttl."\n".subttl
set xrange [0:(x_end > 0 ? x_end : 1)]

# The phases' grounds, on both panels.
if (measure_at > 0) { set object 1 rect from graph 0, graph 0 to first measure_at, graph 1 behind fc rgb '#e4e4e4' fs solid noborder }
set object 2 rect from first drain_at, graph 0 to graph 1, graph 1 behind fc rgb '#f2f2f2' fs solid noborder

set lmargin 12
set rmargin 22
set format x ''
set xlabel ''
set ylabel 'requests/s'
set yrange [0:*]
set format y '%.1s%c'
# The key names the warm-up only when the run had one.
phases = (measure_at > 0 ? "keyentry with boxes fc rgb '#e4e4e4' fs solid title 'warm-up', " : "") \
	. "keyentry with boxes fc rgb '#f2f2f2' fs solid title 'drain'"
rps = "file using 3:4 with linespoints lc rgb '#1f77b4' lw 2 pt 7 ps 0.6 title 'requests/s'"
if (has_fail) {
	set y2tics nomirror
	set y2label 'failed requests' textcolor rgb '#d62728'
	set y2range [0:*]
	eval "plot ".rps.", file using 3:($7 > 0 ? $7 : 1/0) axes x1y2 with impulses lc rgb '#d62728' lw 4 title 'failed', ".phases
} else {
	eval "plot ".rps.", keyentry with lines lc rgb 'white' title 'no failures', ".phases
}
unset y2tics
unset y2label

set format x '%g'
set xlabel 'time from the start of load (s)'
set ylabel 'latency (µs)'
if (has_lat) {
	set logscale y
	set yrange [*:*]
	set format y '%.0s%c'
	plot file using 3:5 with linespoints lc rgb '#2ca02c' lw 2 pt 5 ps 0.6 title 'p50', \
	     file using 3:6 with linespoints lc rgb '#ff7f0e' lw 2 pt 7 ps 0.6 title 'p99'
} else {
	set yrange [0:1]
	plot 1/0 title 'no request completed'
}
unset multiplot
