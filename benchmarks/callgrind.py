#!/usr/bin/env python3
"""Instructions per call of hand, ct, dynamic, tape and tape_inputs on Neuron, Neuron16, MLPStep, DeepChain
(10^4 steps per call) and MoonsStep, counted by valgrind's callgrind (deterministic, unlike time
on a shared machine), with each contender's ratio to hand.

For each (workload, contender) it runs `bench_count WORKLOAD CONTENDER N` and `... 2N` under
`valgrind --tool=callgrind`; instructions per call = (Ir(2N) - Ir(N)) / N, which removes start-up
and checking costs. Prints a Markdown table; `--json FILE` also writes the numbers.
Exits 77 (Meson's "skipped") when valgrind is not installed. Python standard library only.

    python3 benchmarks/callgrind.py --count build-bench/benchmarks/bench_count
    python3 benchmarks/callgrind.py --count ... --calls 64 --workloads Neuron   # quick
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

WORKLOADS = ["Neuron", "Neuron16", "MLPStep", "DeepChain", "MoonsStep"]
CONTENDERS = ["hand", "ct", "dynamic", "tape", "tape_inputs"]
PERIOD = 32  # MLPStep's state period (workloads.hpp: mlp_period): N must be a multiple
# Workloads whose calls are long: their own N (MoonsStep: the notebook's 100 steps, its period).
FIXED_CALLS = {"DeepChain": 4, "MoonsStep": 100}
MISSING = {("DeepChain", "ct"), ("MoonsStep", "tape_inputs")}  # not in bench_count (yet)


def instructions(valgrind, count, workload, contender, calls, workdir):
    out = os.path.join(workdir, f"callgrind.{workload}.{contender}.{calls}.out")
    cmd = [valgrind, "--tool=callgrind", f"--callgrind-out-file={out}",
           count, workload, contender, str(calls)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit(f"callgrind.py: {' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    with open(out, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"(?:summary|totals):\s+(\d+)", line)
            if m:
                return int(m.group(1))
    sys.exit(f"callgrind.py: no instruction total in {out}")


def ratio(x, base):
    return f"{x / base:.2f}x" if base else "n/a"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", required=True, help="the bench_count binary")
    ap.add_argument("--calls", type=int, default=320,
                    help="N (runs N and 2N calls); rounded up to a multiple of 32 (default 320)")
    ap.add_argument("--workloads", nargs="+", default=WORKLOADS, choices=WORKLOADS)
    ap.add_argument("--contenders", nargs="+", default=CONTENDERS, choices=CONTENDERS)
    ap.add_argument("--json", help="also write the numbers to this file")
    ap.add_argument("--keep", help="keep the callgrind.out files in this directory")
    ap.add_argument("--valgrind", default="valgrind")
    args = ap.parse_args()

    valgrind = shutil.which(args.valgrind)
    if valgrind is None:
        print("callgrind.py: valgrind not found: skipped")
        return 77
    contenders = ["hand"] + [c for c in args.contenders if c != "hand"]
    n = max(PERIOD, -(-args.calls // PERIOD) * PERIOD)

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.keep or tmp
        os.makedirs(workdir, exist_ok=True)
        for w in args.workloads:
            calls = FIXED_CALLS.get(w, n)
            for c in contenders:
                if (w, c) in MISSING:
                    continue
                once = instructions(valgrind, args.count, w, c, calls, workdir)
                twice = instructions(valgrind, args.count, w, c, 2 * calls, workdir)
                results.setdefault(w, {})[c] = (twice - once) / calls

    fixed = ", ".join(f"{w} {c}" for w, c in FIXED_CALLS.items() if w in args.workloads)
    print(f"Instructions per call (callgrind, (Ir(2N) - Ir(N)) / N, N = {n}"
          + (f"; {fixed}" if fixed else "") + "); ratio to hand:\n")
    others = contenders[1:]
    head = "| workload | " + " | ".join(contenders) + " | " + \
        " | ".join(f"{c} / hand" for c in others) + " |"
    print(head)
    print("|" + "---|" * (1 + len(contenders) + len(others)))
    for w in args.workloads:
        r = results[w]
        cells = [f"{r[c]:,.0f}" if c in r else "-" for c in contenders]
        ratios = [ratio(r[c], r["hand"]) if c in r else "-" for c in others]
        print(f"| {w} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"calls": n, "instructions_per_call": results}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
