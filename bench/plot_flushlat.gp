# Latency over time from `cairn_bench flushlat --csv FILE` (columns t_s, latency_us, kind,
# thread; kind 0 steady, 1 in a flush window, 2 just after one). Steady-state puts are grey,
# puts while an immutable MemTable exists red, puts just after a flush (old WAL deletion) blue.
#
#   gnuplot -e "csv='flushlat.csv'; png='bench/results/DATE-COMMIT/flushlat.png'; title='...'" bench/plot_flushlat.gp
#   (optional: xmin=..; xmax=.. to zoom on a time range, in seconds)
if (!exists("csv")) csv = 'flushlat.csv'
if (!exists("png")) png = 'flushlat.png'
if (!exists("title")) title = 'Cairn: put latency during MemTable flushes'
set terminal pngcairo size 1400,600 font ",11"
set output png
set datafile separator ','
set title title
set xlabel 'seconds since start'
set ylabel 'put latency (µs, log scale)'
set logscale y
if (exists("xmin") && exists("xmax")) set xrange [xmin:xmax]
set format y '%g'
set grid ytics
set key below
plot csv every ::1 using 1:($3 == 0 ? $2 : 1/0) with dots lc rgb '#888888' title 'steady state', \
     csv every ::1 using 1:($3 == 1 ? $2 : 1/0) with points pt 7 ps 0.3 lc rgb '#d62728' title 'immutable MemTable present (switch + flush)', \
     csv every ::1 using 1:($3 == 2 ? $2 : 1/0) with points pt 7 ps 0.3 lc rgb '#1f77b4' title 'up to 100 ms after a flush (old WAL deleted)'
