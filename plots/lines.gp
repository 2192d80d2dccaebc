# One line per server: median of its good runs with min/max bars, client-bound
# points circled; failed and stalled runs as separate markers, never on a line.
# Called by scripts/plots.sh with -e settings:
#   fmt ('svg'|'png') out ttl subttl xl yl logx logy dir series titles has_cb cats
#   xmin xmax xtics_list failed_idx stalled_idx has_vals
# dir/<series>.dat columns:  x median min max runs client_bound
#   (cats=1: index label median min max runs client_bound, x labelled by xtics_list)
#   a blank line breaks the line: a point of the series whose runs all failed.
# dir/<series>.failed, dir/<series>.stalled:  x value, one line per run
#   (cats=1: x is the index); drawn at value, or at the bottom of the y axis
#   when the run has none (0).
# failed_idx / stalled_idx: the numbers (in series) of the series that have such
# runs, space separated; has_vals: 0 when no point nor run has a value > 0.
term_svg = "set terminal svg size 960,600 dynamic noenhanced font 'Helvetica,14' background rgb 'white'"
term_png = "set terminal pngcairo size 960,600 noenhanced font 'Helvetica,11' background rgb 'white'"
set datafile missing '-'
set title ttl."\n".subttl
set xlabel xl
set ylabel yl
set grid
set key outside right top box opaque
set border 3
set xtics nomirror
set ytics nomirror
set offsets graph 0.04, graph 0.04, graph 0.08, 0
set format y '%.1s%c'
if (logx) { set logscale x; set format x '%.0f' }
if (logy) { set logscale y; set format y '%.0s%c' } else { set yrange [0:*] }
if (xmin ne '' && xmax ne '') { set xrange [xmin:xmax]; set xtics 1 }
if (xmin ne '' && xmax eq '') { set xrange [xmin:*] }
if (cats) { eval "set xtics (".xtics_list.")" }
set style line 1 lc rgb '#1f77b4' lw 2 pt 7 ps 1.2
set style line 2 lc rgb '#ff7f0e' lw 2 pt 5 ps 1.2
set style line 3 lc rgb '#2ca02c' lw 2 pt 9 ps 1.4
set style line 4 lc rgb '#d62728' lw 2 pt 11 ps 1.4
set style line 5 lc rgb '#9467bd' lw 2 pt 13 ps 1.4
set style line 6 lc rgb '#8c564b' lw 2 pt 15 ps 1.4
set style line 7 lc rgb '#e377c2' lw 2 pt 7 ps 1.2
set style line 8 lc rgb '#7f7f7f' lw 2 pt 5 ps 1.2
set style line 9 lc rgb '#bcbd22' lw 2 pt 9 ps 1.4
set style line 10 lc rgb '#17becf' lw 2 pt 11 ps 1.4
# The markers of runs that are not results: a cross for failed, an open
# triangle for stalled, in their server's colour (several servers can fail at
# one x); the key shows the shapes in black.
FAILED = "pt 2 ps 2.2 lw 2.5"
STALLED = "pt 8 ps 2.2 lw 2.5"
N = words(series)
f(i) = dir.'/'.word(series, i).'.dat'
g(i, kind) = dir.'/'.word(series, i).'.'.kind
NF = words(failed_idx)
NS = words(stalled_idx)
fi(j) = int(word(failed_idx, j) + 0)
si(j) = int(word(stalled_idx, j) + 0)
# Where a run without a value goes: the bottom of the y axis (0 on a linear
# axis; on a log axis, learnt from a first pass that draws nothing).
ybot = 0
if (cats) {
	cmd = "plot for [i=1:N] f(i) using 1:3:4:5 with yerrorlines ls i title word(titles, i)"
	cb = "for [i=1:N] f(i) using 1:($7 > 0 ? $3 : 1/0) with points pt 6 ps 3 lw 2 lc rgb 'black' notitle"
} else {
	cmd = "plot for [i=1:N] f(i) using 1:2:3:4 with yerrorlines ls i title word(titles, i)"
	cb = "for [i=1:N] f(i) using 1:($6 > 0 ? $2 : 1/0) with points pt 6 ps 3 lw 2 lc rgb 'black' notitle"
}
if (has_cb) { cmd = cmd.", ".cb.", keyentry with points pt 6 ps 3 lw 2 lc rgb 'black' title 'client-bound run(s)'" }
if (NF > 0) {
	cmd = cmd.", for [j=1:NF] g(fi(j), 'failed') using 1:($2 > 0 ? $2 : ybot) with points ls fi(j) ".FAILED." notitle"
	cmd = cmd.", keyentry with points ".FAILED." lc rgb 'black' title 'failed run'"
}
if (NS > 0) {
	cmd = cmd.", for [j=1:NS] g(si(j), 'stalled') using 1:($2 > 0 ? $2 : ybot) with points ls si(j) ".STALLED." notitle"
	cmd = cmd.", keyentry with points ".STALLED." lc rgb 'black' title 'stalled run'"
}
if (!has_vals) {
	if (logy) { set yrange [1:10]; ybot = 1 } else { set yrange [0:1] }
} else {
	if (logy && NF + NS > 0) {
		ybot = NaN
		set terminal unknown
		eval cmd
		ybot = GPVAL_Y_MIN
		set yrange [GPVAL_Y_MIN:GPVAL_Y_MAX]
	}
}
if (fmt eq 'svg') { eval term_svg } else { eval term_png }
set output out
eval cmd
