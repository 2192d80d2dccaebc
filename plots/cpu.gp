# Server CPU per request, stacked user / system / softirq, one bar per server,
# with the median total's min/max bar; client-bound servers circled.
# Called by scripts/plots.sh with -e settings: fmt out ttl subttl yl file has_cb
# file columns: label user sys softirq total_median total_min total_max client_bound
if (fmt eq 'svg') {
	set terminal svg size 960,600 dynamic noenhanced font 'Helvetica,14' background rgb 'white'
} else {
	set terminal pngcairo size 960,600 noenhanced font 'Helvetica,11' background rgb 'white'
}
set output out
set datafile missing '-'
set title ttl."\n".subttl
set ylabel yl
set grid ytics
set key outside right top box opaque
set border 3
set xtics nomirror
set ytics nomirror
set yrange [0:*]
set offsets 0, 0, graph 0.1, 0
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border rgb 'black'
set boxwidth 0.6
cmd = "plot file using 2:xtic(1) lc rgb '#4c72b0' title 'user', '' using 3 lc rgb '#dd8452' title 'system (+irq)', '' using 4 lc rgb '#55a868' title 'softirq', '' using 0:5:6:7 with yerrorbars lc rgb 'black' pt 0 lw 1.5 title 'total: median, min-max'"
if (has_cb) { cmd = cmd.", '' using 0:($8 > 0 ? $7 * 1.06 : 1/0) with points pt 6 ps 3 lw 2 lc rgb 'black' title 'client-bound run(s)'" }
eval cmd
