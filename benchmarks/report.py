#!/usr/bin/env python3
"""Google Benchmark JSON -> Markdown table of medians with each contender's ratio to `hand`
(from the same run), and a gnuplot bar chart of the ratios on a log scale (PNG and SVG).

    report.py run --bench BIN --out DIR [--smoke] [-- extra benchmark flags]
        runs BIN with --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true,
        writes DIR/bench.json, then does what `table` does.
    report.py table JSON [--out DIR]
        prints the table (and writes DIR/bench.md, DIR/ratios.png, DIR/ratios.svg).

Benchmarks are named BM_<Workload>/<contender>[/<arg>]. The table uses the median of the
repetitions' CPU times (the `median` aggregates; the median of the runs when there are none).
DeepChain gets its own table (time per node, bytes per node). Python standard library only;
the chart needs gnuplot (skipped with a note if it is missing).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys

UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
ORDER = ["hand", "ct", "dynamic", "tape", "tape_inputs", "torch", "torch_batched"]
COLORS = {"hand": "#7f7f7f", "ct": "#1f77b4", "dynamic": "#ff7f0e", "tape": "#2ca02c",
          "tape_inputs": "#8c564b", "torch": "#d62728", "torch_batched": "#9467bd"}
EXTRA_COLORS = ["#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]


def fmt_time(ns):
    if ns < 1e3:
        return f"{ns:.1f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.2f} µs"
    if ns < 1e9:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e9:.2f} s"


def load(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    runs = {}   # run_name -> list of per-repetition entries
    medians = {}  # run_name -> median aggregate entry
    for b in data.get("benchmarks", []):
        name = b.get("run_name", b["name"])
        if b.get("error_occurred"):
            runs.setdefault(name, []).append(b)
            continue
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[name] = b
        else:
            runs.setdefault(name, []).append(b)
    out = {}
    for name, entries in runs.items():
        errors = [e for e in entries if e.get("error_occurred")]
        if errors:
            out[name] = {"error": errors[0].get("error_message", "error")}
            continue
        if name in medians:
            m = medians[name]
            ns = m["cpu_time"] * UNIT_NS[m.get("time_unit", "ns")]
            counters = {k: v for k, v in m.items() if k in ("bytes_per_node", "time_per_node")}
        else:
            ns = statistics.median(e["cpu_time"] * UNIT_NS[e.get("time_unit", "ns")]
                                   for e in entries)
            counters = {}
            for k in ("bytes_per_node", "time_per_node"):
                vals = [e[k] for e in entries if k in e]
                if vals:
                    counters[k] = statistics.median(vals)
        out[name] = {"ns": ns, "reps": len(entries), **counters}
    return data.get("context", {}), out


def split(name):
    parts = name.split("/")
    workload = parts[0][3:] if parts[0].startswith("BM_") else parts[0]
    contender = parts[1] if len(parts) > 1 else ""
    arg = "/".join(parts[2:])
    return workload, contender, arg


def tables(context, results):
    families = {}
    chains = []
    for name, r in results.items():
        w, c, arg = split(name)
        if w == "DeepChain":
            chains.append((int(arg) if arg.isdigit() else 0, c, r))
        else:
            families.setdefault(w, {})[c] = r
    lines = []
    reps = max((r.get("reps", 1) for r in results.values()), default=1)
    lines.append(f"Median CPU time of {reps} repetition(s); ratio = contender / hand, same run.")
    lines.append("")
    lines.append("| workload | contender | median time | ratio to hand |")
    lines.append("|---|---|---:|---:|")
    ratios = {}
    wanted = ["Neuron", "Neuron16", "MLPStep", "MoonsStep"]
    for w in wanted + sorted(set(families) - set(wanted)):
        if w not in families:
            continue
        fam = families[w]
        hand = fam.get("hand", {}).get("ns")
        for c in sorted(fam, key=lambda c: (ORDER.index(c) if c in ORDER else 99, c)):
            r = fam[c]
            if "error" in r:
                lines.append(f"| {w} | {c} | error: {r['error']} | |")
                continue
            ratio = r["ns"] / hand if hand else None
            if ratio is not None:
                ratios.setdefault(w, {})[c] = ratio
            rs = f"{ratio:.2f}x" if ratio is not None else "n/a"
            lines.append(f"| {w} | {c} | {fmt_time(r['ns'])} | {rs} |")
    if chains:
        lines.append("")
        lines.append("| DeepChain N | contender | median time | ns per node | bytes per node |")
        lines.append("|---:|---|---:|---:|---:|")
        for n, c, r in sorted(chains, key=lambda t: t[0]):
            if "error" in r:
                lines.append(f"| {n} | {c} | error: {r['error']} | | |")
                continue
            tpn = r.get("time_per_node")
            tpn_s = f"{tpn * 1e9:.2f}" if tpn is not None else "n/a"
            bpn = r.get("bytes_per_node")
            bpn_s = f"{bpn:.1f}" if bpn is not None else "n/a"
            lines.append(f"| {n:,} | {c} | {fmt_time(r['ns'])} | {tpn_s} | {bpn_s} |")
    lines.append("")
    host = context.get("host_name", "?")
    cpus = context.get("num_cpus", "?")
    mhz = context.get("mhz_per_cpu", "?")
    load_avg = context.get("load_avg", [])
    lines.append(f"Machine: {host}, {cpus} CPUs at {mhz} MHz, load average "
                 f"{', '.join(f'{x:.2f}' for x in load_avg) if load_avg else '?'}; "
                 f"run {context.get('date', '?')}.")
    return "\n".join(lines), ratios


GNUPLOT = """\
set datafile separator "\\t"
set logscale y
set yrange [{ymin}:{ymax}]
set xrange [-0.6:{xmax}]
set ylabel "time / hand (log scale)"
set title "micrograd benchmarks: median time relative to hand-written derivatives"
set grid ytics mytics
set key top center horizontal noenhanced
set termoption noenhanced
set style fill solid 0.85 border -1
set xtics ({xtics}) nomirror
set format y "%gx"
"""


def chart(ratios, out_dir):
    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        print("report.py: gnuplot not found: no chart")
        return
    workloads = [w for w in ["Neuron", "Neuron16", "MLPStep", "MoonsStep"] if w in ratios]
    workloads += sorted(set(ratios) - set(workloads))
    contenders = []
    for c in ORDER + sorted({c for w in ratios.values() for c in w}):
        if c not in contenders and any(c in ratios[w] for w in workloads):
            contenders.append(c)
    if not workloads or not contenders:
        return
    k = len(contenders)
    width = 0.8 / k
    dat = os.path.join(out_dir, "ratios.dat")
    values = [v for w in workloads for v in ratios[w].values()]
    ymin = min(0.5, min(values) / 1.5)
    ymax = max(values) * 12  # room for the key above the bars
    with open(dat, "w", encoding="utf-8") as f:
        for ci, c in enumerate(contenders):
            f.write(f"# {c}\n")
            for wi, w in enumerate(workloads):
                if c in ratios[w]:
                    x = wi + (ci - (k - 1) / 2) * width
                    v = ratios[w][c]
                    label = f"{v:.2f}x" if v < 10 else f"{v:.0f}x"
                    f.write(f"{x}\t{v}\t{x - width / 2}\t{x + width / 2}\t{ymin}\t{v}"
                            f"\t{label}\n")
            f.write("\n\n")
    xtics = ", ".join(f'"{w}" {i}' for i, w in enumerate(workloads))
    script = GNUPLOT.format(ymin=ymin, ymax=ymax, xmax=len(workloads) - 0.4, xtics=xtics)
    plots = []
    for ci, c in enumerate(contenders):
        color = COLORS.get(c, EXTRA_COLORS[ci % len(EXTRA_COLORS)])
        plots.append(f"'{dat}' index {ci} using 1:2:3:4:5:6 with boxxyerror "
                     f"linecolor rgb '{color}' title '{c}'")
        plots.append(f"'{dat}' index {ci} using 1:2:7 with labels offset 0,0.7 font ',8' "
                     f"notitle")
    plot = "plot " + ", \\\n     ".join(plots) + "\n"
    for term, ext in (("pngcairo size 1000,560", "png"), ("svg size 1000,560", "svg")):
        path = os.path.join(out_dir, f"ratios.{ext}")
        full = f"set terminal {term}\nset output '{path}'\n" + script + plot
        proc = subprocess.run([gnuplot], input=full, text=True, capture_output=True)
        if proc.returncode != 0:
            sys.exit(f"report.py: gnuplot failed:\n{proc.stderr}")
        print(f"chart: {path}")


def table_cmd(json_path, out_dir):
    context, results = load(json_path)
    if not results:
        sys.exit(f"report.py: no benchmarks in {json_path}")
    text, ratios = tables(context, results)
    print(text)
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, "bench.md"), "w", encoding="utf-8") as f:
            f.write(text + "\n")
        chart(ratios, out_dir)


def run_cmd(args, extra):
    os.makedirs(args.out, exist_ok=True)
    json_path = os.path.join(args.out, "bench.json")
    cmd = [args.bench, f"--benchmark_out={json_path}", "--benchmark_out_format=json"]
    if args.smoke:  # CI: a correctness smoke pass, never a measurement
        cmd += ["--benchmark_min_time=0.001", "--benchmark_repetitions=2",
                "--benchmark_enable_random_interleaving=true",
                "--benchmark_filter=-BM_DeepChain/[a-z_]+/(100000|1000000)$"]
    else:
        cmd += ["--benchmark_repetitions=5", "--benchmark_enable_random_interleaving=true"]
    cmd += extra
    print("running:", " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE if args.smoke else None)
    if proc.returncode != 0:
        sys.exit(f"report.py: the benchmark binary failed ({proc.returncode})")
    table_cmd(json_path, args.out)
    _, results = load(json_path)
    errors = [n for n, r in results.items() if "error" in r]
    if errors:
        sys.exit(f"report.py: benchmarks reported errors: {', '.join(errors)}")


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run the suite, then make the table and chart")
    r.add_argument("--bench", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--smoke", action="store_true", help="tiny run for CI (no timings)")
    t = sub.add_parser("table", help="table and chart from a JSON file")
    t.add_argument("json")
    t.add_argument("--out")
    args = ap.parse_args(argv)
    if args.cmd == "run":
        run_cmd(args, extra)
    else:
        table_cmd(args.json, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
