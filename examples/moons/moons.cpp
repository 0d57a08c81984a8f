// micrograd's moons demo (demo.ipynb) in C++: MLP(2, [16, 16, 1]) learns to separate two
// interleaving half-moons with an SVM max-margin loss, 100 steps of full-batch gradient descent.
// Prints the notebook's 100 lines, trains the same model again on the compile-time engine
// (ct::MLP<2, 16, 16, 1>) and checks that it follows the same curve, then once more with the
// loss graph recorded once and replayed through micrograd::Tape (replay.cpp: the same losses bit
// for bit), reports the times, and draws the decision boundary and the training curves with
// gnuplot.
//
//   moons [DATA.csv] [--expect STEPS.txt] [--out DIR]
//
// DATA.csv: the notebook's data (default: examples/moons/data/moons_1337.csv); --expect: the
// notebook's printed lines, to compare with (exit status 1 if a loss differs by more than 1e-9
// relative or an accuracy differs); --out: where the data files and pictures go (default: .).
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "replay.hpp"
#include "support/moons_demo_ct.hpp"

#ifndef MOONS_DATA_CSV
#define MOONS_DATA_CSV "data/moons_1337.csv"
#endif

namespace {

namespace fs = std::filesystem;
using micrograd::MoonsData;
using moons_demo::StepResult;
using Clock = std::chrono::steady_clock;

constexpr double tolerance = 1e-9;

struct Options {
  fs::path data = MOONS_DATA_CSV;
  fs::path expect;
  fs::path out = ".";
};

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--expect" || a == "--out") && i + 1 < argc) {
      (a == "--expect" ? o.expect : o.out) = argv[++i];
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: %s [DATA.csv] [--expect STEPS.txt] [--out DIR]\n", argv[0]);
      std::exit(0);
    } else if (!a.empty() && a[0] != '-') {
      o.data = a;
    } else {
      throw std::invalid_argument("unknown or incomplete option '" + a + "' (try --help)");
    }
  }
  return o;
}

/// A progress line on a terminal, redrawn in place; nothing when the output is a file or a pipe.
class Progress {
 public:
  explicit Progress(const char* what) : what_(what), tty_(isatty(STDOUT_FILENO) == 1) {}
  [[nodiscard]] bool tty() const { return tty_; }
  /// Prints a line above the progress line.
  void line(const std::string& text) const {
    if (tty_) std::fputs("\r\033[K", stdout);
    std::puts(text.c_str());
  }
  void update(int done, int total) const {
    if (!tty_) return;
    constexpr int width = 30;
    const int filled = done * width / total;
    std::printf("\r\033[K%s [%s%s] %d/%d", what_,
                std::string(static_cast<std::size_t>(filled), '#').c_str(),
                std::string(static_cast<std::size_t>(width - filled), '.').c_str(), done, total);
    std::fflush(stdout);
  }
  void done() const {
    if (tty_) std::fputs("\r\033[K", stdout);
    std::fflush(stdout);
  }

 private:
  const char* what_;
  bool tty_;
};

/// This thread's CPU time in seconds (unlike the wall time, not inflated when the machine is
/// shared with other work).
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

/// Time spent in the training steps alone (printing excluded).
struct Timing {
  double wall = 0.0;  ///< seconds
  double cpu = 0.0;   ///< seconds
};

/// Trains `model` for the notebook's 100 steps; returns each step's loss and accuracy.
template <class Model>
std::vector<StepResult> train(Model& model, const MoonsData& data, const char* what,
                              bool print_lines, Timing& timing) {
  const Progress progress(what);
  std::vector<StepResult> curve;
  curve.reserve(moons_demo::steps);
  Clock::duration wall{};
  double cpu = 0.0;
  for (int k = 0; k < moons_demo::steps; ++k) {
    const double c0 = thread_cpu_seconds();
    const auto t0 = Clock::now();
    const StepResult r = moons_demo::notebook_step(model, data, k);
    wall += Clock::now() - t0;
    cpu += thread_cpu_seconds() - c0;
    curve.push_back(r);
    if (print_lines) progress.line(moons_demo::step_line(k, r));
    progress.update(k + 1, moons_demo::steps);
  }
  progress.done();
  timing = {std::chrono::duration<double>(wall).count(), cpu};
  return curve;
}

double relative_difference(double a, double b) {
  if (a == b) return 0.0;
  return std::abs(a - b) / std::max(std::abs(a), std::abs(b));
}

/// The largest relative difference of the losses; `accuracy_ok` is false if any accuracy differs.
double compare(const std::vector<StepResult>& a, const std::vector<StepResult>& b,
               bool& accuracy_ok) {
  double worst = 0.0;
  accuracy_ok = a.size() == b.size();
  for (std::size_t k = 0; k < std::min(a.size(), b.size()); ++k) {
    worst = std::max(worst, relative_difference(a[k].loss, b[k].loss));
    if (a[k].accuracy != b[k].accuracy) accuracy_ok = false;
  }
  return worst;
}

/// The notebook's printed lines, parsed back into losses and accuracies.
std::vector<StepResult> read_notebook(const fs::path& path, std::vector<std::string>& lines) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot open the notebook's lines");
  std::vector<StepResult> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    int k = 0;
    double loss = 0.0;
    double percent = 0.0;
    if (std::sscanf(line.c_str(), "step %d loss %lf, accuracy %lf%%", &k, &loss, &percent) != 3 ||
        k != static_cast<int>(out.size())) {
      throw std::runtime_error(path.string() + ":" + std::to_string(out.size() + 1) +
                               ": not the notebook's line " + std::to_string(out.size()) + ": '" +
                               line + "'");
    }
    out.push_back({loss, percent / 100});
    lines.push_back(line);
  }
  return out;
}

void check_open(const std::ofstream& f, const fs::path& path) {
  if (!f) throw std::runtime_error(path.string() + ": cannot write");
}

/// Writes the data files the pictures are drawn from.
template <class Model>
void write_data(const fs::path& dir, const MoonsData& data, const Model& model,
                const std::vector<StepResult>& dynamic_curve,
                const std::vector<StepResult>& ct_curve) {
  {
    const fs::path p = dir / "moons_training.dat";
    std::ofstream f(p);
    check_open(f, p);
    f << "# step  loss(micrograd::MLP)  accuracy%  loss(ct::MLP)  accuracy%\n";
    for (std::size_t k = 0; k < dynamic_curve.size(); ++k) {
      f << k << ' ' << moons_demo::python_repr(dynamic_curve[k].loss) << ' '
        << moons_demo::python_repr(dynamic_curve[k].accuracy * 100) << ' '
        << moons_demo::python_repr(ct_curve[k].loss) << ' '
        << moons_demo::python_repr(ct_curve[k].accuracy * 100) << '\n';
    }
  }
  {
    const fs::path p = dir / "moons_points.dat";
    std::ofstream f(p);
    check_open(f, p);
    f << "# x0 x1 y\n";
    for (std::size_t i = 0; i < data.size(); ++i) {
      f << moons_demo::python_repr(data.x[i][0]) << ' ' << moons_demo::python_repr(data.x[i][1])
        << ' ' << (data.y[i] > 0 ? 1 : -1) << '\n';
    }
  }
  {
    // The trained model's score on a 200 x 200 grid over the data's range, margin 1 (as the
    // notebook's mesh); gnuplot colours each cell by the sign.
    double x_min = data.x[0][0];
    double x_max = x_min;
    double y_min = data.x[0][1];
    double y_max = y_min;
    for (const auto& p : data.x) {
      x_min = std::min(x_min, p[0]);
      x_max = std::max(x_max, p[0]);
      y_min = std::min(y_min, p[1]);
      y_max = std::max(y_max, p[1]);
    }
    x_min -= 1;
    x_max += 1;
    y_min -= 1;
    y_max += 1;
    constexpr int cells = 200;
    const fs::path p = dir / "moons_grid.dat";
    std::ofstream f(p);
    check_open(f, p);
    f << "# x0 x1 sign(score) score: the trained model on a " << cells << "x" << cells << " grid\n";
    for (int j = 0; j < cells; ++j) {
      const double yv = y_min + (y_max - y_min) * (j + 0.5) / cells;
      for (int i = 0; i < cells; ++i) {
        const double xv = x_min + (x_max - x_min) * (i + 0.5) / cells;
        const double s = moons_demo::score(model, {xv, yv});
        f << xv << ' ' << yv << ' ' << (s > 0 ? 1 : -1) << ' ' << s << '\n';
      }
      f << '\n';
    }
  }
}

/// The gnuplot script for both pictures, PNG and SVG; file names relative to its directory.
std::string gnuplot_script() {
  return R"gp(# micrograd's moons demo: run `gnuplot moons_plot.gp` in this directory.
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
)gp";
}

/// `'dir'` for the shell.
std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// Whether `gnuplot` runs (found on PATH).
bool have_gnuplot() {
  FILE* p = popen("gnuplot --version 2>/dev/null", "r");
  if (p == nullptr) return false;
  char buf[128] = {};
  const bool read = std::fgets(buf, sizeof buf, p) != nullptr;
  const int status = pclose(p);
  return read && std::string(buf).rfind("gnuplot", 0) == 0 && status == 0;
}

/// Writes moons_plot.gp and, if gnuplot is installed, runs it through a pipe.
void draw(const fs::path& dir) {
  const fs::path script = dir / "moons_plot.gp";
  {
    std::ofstream f(script);
    check_open(f, script);
    f << gnuplot_script();
  }
  fs::path absolute = fs::absolute(dir).lexically_normal();
  if (!absolute.has_filename()) absolute = absolute.parent_path();  // "dir/." -> "dir"
  const std::string where = absolute.string();
  if (!have_gnuplot()) {
    std::printf(
        "\ngnuplot not found: the data files are in %s (moons_training.dat, moons_points.dat,\n"
        "moons_grid.dat). To draw the pictures, install gnuplot (Debian: apt install gnuplot-nox)\n"
        "and run: cd %s && gnuplot moons_plot.gp\n",
        where.c_str(), shell_quote(where).c_str());
    return;
  }
  const std::string command = "cd " + shell_quote(where) + " && gnuplot";
  FILE* gp = popen(command.c_str(), "w");
  if (gp == nullptr) throw std::runtime_error("cannot start gnuplot");
  const std::string text = gnuplot_script();
  std::fwrite(text.data(), 1, text.size(), gp);
  if (pclose(gp) != 0) {
    std::printf("\ngnuplot failed; the data files and moons_plot.gp are in %s\n", where.c_str());
    return;
  }
  std::printf("\npictures: %s/moons_boundary.{png,svg}, %s/moons_training.{png,svg}\n",
              where.c_str(), where.c_str());
}

int run(const Options& o) {
  const MoonsData data = micrograd::load_moons_csv(o.data);
  std::printf("data: %zu points from %s\n", data.size(), o.data.string().c_str());

  micrograd::MLP model(2, {16, 16, 1}, moons_demo::init);
  std::printf(
      "model: MLP(2, [16, 16, 1]), micrograd's initialisation after random.seed(%llu): "
      "%zu parameters\n\n",
      static_cast<unsigned long long>(moons_demo::init.seed), model.parameters().size());
  Timing dynamic_time;
  const std::vector<StepResult> dynamic_curve =
      train(model, data, "micrograd::MLP", true, dynamic_time);

  auto net = std::make_unique<moons_demo::CtModel>(moons_demo::init);
  Timing ct_time;
  const std::vector<StepResult> ct_curve =
      train(*net, data, "ct::MLP<2, 16, 16, 1>", false, ct_time);

  bool ok = true;
  bool same_accuracy = true;
  const double engines = compare(dynamic_curve, ct_curve, same_accuracy);
  const bool engines_ok = engines <= tolerance && same_accuracy;
  ok = ok && engines_ok;
  std::printf(
      "\nct::MLP<2, 16, 16, 1> follows the same curve: max relative difference of the "
      "loss %.3g, %s accuracies%s\n",
      engines, same_accuracy ? "same" : "DIFFERENT", engines_ok ? "" : "  <-- FAILED");

  const moons_replay::Result replayed = moons_replay::train(data);
  bool tape_same = replayed.curve.size() == dynamic_curve.size();
  for (std::size_t k = 0; tape_same && k < replayed.curve.size(); ++k) {
    tape_same = replayed.curve[k].loss == dynamic_curve[k].loss &&
                replayed.curve[k].accuracy == dynamic_curve[k].accuracy;
  }
  ok = ok && tape_same;
  std::printf("the graph recorded once and replayed by micrograd::Tape: %s%s\n",
              tape_same ? "the same 100 losses and accuracies, bit for bit" : "DIFFERENT",
              tape_same ? "" : "  <-- FAILED");

  if (!o.expect.empty()) {
    std::vector<std::string> lines;
    const std::vector<StepResult> notebook = read_notebook(o.expect, lines);
    for (const auto& [name, curve] : {std::pair{"micrograd::MLP", &dynamic_curve},
                                      std::pair{"ct::MLP<2, 16, 16, 1>", &ct_curve}}) {
      bool acc = true;
      const double d = compare(*curve, notebook, acc);
      int identical = 0;
      for (std::size_t k = 0; k < std::min(lines.size(), curve->size()); ++k) {
        if (moons_demo::step_line(static_cast<int>(k), (*curve)[k]) == lines[k]) ++identical;
      }
      const bool good = d <= tolerance && acc && notebook.size() == curve->size();
      ok = ok && good;
      std::printf(
          "%s vs the notebook's %zu lines: max relative difference %.3g, %s accuracies, "
          "%d lines identical%s\n",
          name, notebook.size(), d, acc ? "same" : "DIFFERENT", identical,
          good ? "" : "  <-- FAILED");
    }
  }

  std::printf("\ntime for the 100 training steps (printing excluded):      wall        CPU\n");
  std::printf("  micrograd::MLP, the dynamic engine                   %9.2f ms %9.2f ms\n",
              dynamic_time.wall * 1e3, dynamic_time.cpu * 1e3);
  std::printf("  ct::MLP<2, 16, 16, 1>, the compile-time engine       %9.2f ms %9.2f ms\n",
              ct_time.wall * 1e3, ct_time.cpu * 1e3);
  std::printf("  micrograd::Tape, recorded once (included), replayed  %9.2f ms %9.2f ms\n",
              replayed.wall * 1e3, replayed.cpu * 1e3);
  std::printf("  (micrograd's notebook takes minutes for the same loop in Python)\n");

  fs::create_directories(o.out);
  write_data(o.out, data, *net, dynamic_curve, ct_curve);
  draw(o.out);
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_options(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "moons: %s\n", e.what());
    return 2;
  }
}
