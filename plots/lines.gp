# One line per server: median with min/max bars, client-bound runs circled.
# Called by scripts/plots.sh with -e settings:
#   fmt ('svg'|'png') out ttl subttl xl yl logx logy dir series titles has_cb cats xmin xmax
# dir/<series>.dat columns:  x median min max runs client_bound
#   (cats=1: index label median min max runs client_bound, x labelled by column 2)
if (fmt eq 'svg') {
	set terminal svg size 960,600 dynamic noenhanced font 'Helvetica,14' background rgb 'white'
} else {
	set terminal pngcairo size 960,600 noenhanced font 'Helvetica,11' background rgb 'white'
}
set output out
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
set style line 1 lc rgb '#1f77b4' lw 2 pt 7 ps 1.2
set style line 2 lc rgb '#ff7f0e' lw 2 pt 5 ps 1.2
set style line 3 lc rgb '#2ca02c' lw 2 pt 9 ps 1.4
set style line 4 lc rgb '#d62728' lw 2 pt 11 ps 1.4
set style line 5 lc rgb '#9467bd' lw 2 pt 13 ps 1.4
set style line 6 lc rgb '#8c564b' lw 2 pt 15 ps 1.4
set style line 7 lc rgb '#e377c2' lw 2 pt 7 ps 1.2
set style line 8 lc rgb '#7f7f7f' lw 2 pt 5 ps 1.2
N = words(series)
f(i) = dir.'/'.word(series, i).'.dat'
if (cats) {
	cmd = "plot for [i=1:N] f(i) using 1:3:4:5:xtic(2) with yerrorlines ls i title word(titles, i)"
	cb = "for [i=1:N] f(i) using 1:($7 > 0 ? $3 : 1/0) with points pt 6 ps 3 lw 2 lc rgb 'black' title (i == 1 ? 'client-bound run(s)' : '')"
} else {
	cmd = "plot for [i=1:N] f(i) using 1:2:3:4 with yerrorlines ls i title word(titles, i)"
	cb = "for [i=1:N] f(i) using 1:($6 > 0 ? $2 : 1/0) with points pt 6 ps 3 lw 2 lc rgb 'black' title (i == 1 ? 'client-bound run(s)' : '')"
}
if (has_cb) { cmd = cmd.", ".cb }
eval cmd
