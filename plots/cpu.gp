# Server CPU per request, stacked user / system / softirq, one bar per server
# (its good runs), with the median total's min/max bar; client-bound servers
# circled; failed and stalled runs as separate markers at their total.
# Called by scripts/plots.sh with -e settings:
#   fmt out ttl subttl yl file has_cb failed stalled has_failed has_stalled
# file columns: label user sys softirq total_median total_min total_max client_bound
#   ("-": the server has no good run; its bar is left empty)
# failed, stalled: row (0-based, as in file) total, one line per run; a run
#   without a total (0) is drawn at the bottom of the axis.
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
# Slanted names: nine servers (with the busy-polling variants) do not fit flat.
set xtics nomirror scale 0 rotate by -30 left
set ytics nomirror
set yrange [0:*]
set offsets 0.6, 0.6, graph 0.1, 0
set style fill solid 0.85 border rgb 'black'
set boxwidth 0.6
# The stack is drawn from its top down: each box covers the ones above it
# up to its own top. Rows without values keep their place (column 0).
cmd = "plot file using 0:($2 + $3 + $4):xtic(1) with boxes lc rgb '#55a868' notitle"
cmd = cmd.", '' using 0:($2 + $3) with boxes lc rgb '#dd8452' notitle"
cmd = cmd.", '' using 0:2 with boxes lc rgb '#4c72b0' notitle"
cmd = cmd.", keyentry with boxes lc rgb '#4c72b0' title 'user'"
cmd = cmd.", keyentry with boxes lc rgb '#dd8452' title 'system (+irq)'"
cmd = cmd.", keyentry with boxes lc rgb '#55a868' title 'softirq'"
cmd = cmd.", '' using 0:5:6:7 with yerrorbars lc rgb 'black' pt 0 lw 1.5 title 'total: median, min-max'"
if (has_cb) { cmd = cmd.", '' using 0:($8 > 0 ? $7 * 1.06 : 1/0) with points pt 6 ps 3 lw 2 lc rgb 'black' title 'client-bound run(s)'" }
# A cross for a failed run, an open triangle for a stalled one (as in the line figures).
if (has_failed) { cmd = cmd.", failed using 1:2 with points pt 2 ps 2.2 lw 2.5 lc rgb '#c00000' title 'failed run'" }
if (has_stalled) { cmd = cmd.", stalled using 1:2 with points pt 8 ps 2.2 lw 2.5 lc rgb '#c00000' title 'stalled run'" }
eval cmd
