# micrograd's moons demo: run `gnuplot moons_plot.gp` in this directory.
# Colours: matplotlib's Spectral ends (the notebook's cmap), lightened for the plane.
red_plane = '#e9a3a8'; blue_plane = '#aaa2d4'
red_point = '#9e0142'; blue_point = '#5e4fa2'
set palette defined (-1 red_plane, 1 blue_plane)
set cbrange [-1:1]
unset colorbox

do for [fmt in "png svg"] {
  if (fmt eq "png") {
    set terminal pngcairo size 800,700 font "sans,11"
  } else {
    set terminal svg size 800,700 font "sans,11" background rgb 'white'
  }
  set output 'moons_boundary.'.fmt
  set title "Decision boundary of MLP(2, [16, 16, 1]) after 100 steps (micrograd's moons demo)"
  set xlabel 'x0'; set ylabel 'x1'
  set size ratio -1
  set autoscale xfix; set autoscale yfix
  set key off
  plot 'moons_grid.dat' using 1:2:3 with image notitle, \
       'moons_points.dat' using 1:2:($3 > 0 ? 0x5e4fa2 : 0x9e0142) \
           with points pt 7 ps 1.3 lc rgb variable notitle, \
       '' using 1:2 with points pt 6 ps 1.3 lc rgb 'black' notitle
  unset output

  if (fmt eq "png") {
    set terminal pngcairo size 900,650 font "sans,11"
  } else {
    set terminal svg size 900,650 font "sans,11" background rgb 'white'
  }
  set output 'moons_training.'.fmt
  set size noratio
  set autoscale
  set multiplot layout 2,1 title "Training MLP(2, [16, 16, 1]) on the moons: 100 steps of SGD"
  set title ''
  set xlabel ''
  set ylabel 'loss'
  set logscale y
  set yrange [0.008:3]
  set grid
  set key top right
  plot 'moons_training.dat' using 1:2 with lines lw 2 lc rgb '#3060c0' title 'micrograd::MLP', \
       '' using 1:4 with points pt 6 ps 0.6 lc rgb '#d04000' title 'ct::MLP<2, 16, 16, 1>'
  unset logscale y
  set xlabel 'step'
  set ylabel 'accuracy (%)'
  set yrange [40:102]
  set key bottom right
  plot 'moons_training.dat' using 1:3 with lines lw 2 lc rgb '#3060c0' title 'micrograd::MLP', \
       '' using 1:5 with points pt 6 ps 0.6 lc rgb '#d04000' title 'ct::MLP<2, 16, 16, 1>'
  unset multiplot
  unset yrange
  unset grid
  unset output
}
