#!/usr/bin/env python3
"""Scores `flopscope simulate` against published serving measurements (points.json).

For every point it runs the simulator under the benchmark's load (closed loop at the
published concurrency, fixed prompt and output lengths) and compares output tokens/s, mean
inter-token latency and mean time to first token. Prints one row per point and the median
|error| of each. Standard library only.

    validation/serving/score.py --flopscope build/dev/flopscope
    validation/serving/score.py --flopscope build/dev/flopscope --check scores.json
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def simulate(binary, p):
    if "concurrency" in p:  # closed loop, as genai-perf / AIPerf run it
        load = ["--concurrency", str(p["concurrency"]), "--requests", str(max(4 * p["concurrency"], 40))]
    else:  # offline: every request queued at once
        load = ["--rate", "inf", "--requests", str(p["requests"])]
    cmd = [binary, "simulate", p["model"], "--hardware", p["hardware"], "--tp", str(p["tp"]),
           "--dtype", p["dtype"], "--prompt", str(p["prompt"]), "--output", str(p["output"]),
           "--seed", "1", "--json"] + load
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(" ".join(cmd) + ": " + out.stderr.strip())
    return json.loads(out.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flopscope", required=True, help="path to the flopscope binary")
    ap.add_argument("--check", help="scores.json: fail when a median |error| exceeds its bound")
    args = ap.parse_args()
    with open(os.path.join(HERE, "points.json"), encoding="utf-8") as f:
        doc = json.load(f)
    errs = {"throughput": [], "itl": [], "ttft": []}
    print(f"{'model':16} {'c':>4} {'in/out':>10} {'tok/s pub':>10} {'sim':>8} {'err':>7} "
          f"{'ITL ms pub':>10} {'sim':>7} {'err':>7} {'TTFT ms pub':>11} {'sim':>9} {'err':>7}")
    for p in doc["points"]:
        r = simulate(args.flopscope, p)
        sim_t = r["output_tokens_per_second"]
        e_t = sim_t / p["output_tokens_per_second"] - 1
        errs["throughput"].append(abs(e_t))
        row = (f"{p['model']:16} {str(p.get('concurrency', 'inf')):>4} "
               f"{str(p['prompt']) + '/' + str(p['output']):>10} "
               f"{p['output_tokens_per_second']:>10.1f} {sim_t:>8.1f} {e_t:>+7.1%} ")
        if "itl_s" in p:
            sim_i = r["itl_seconds"]["mean"]
            sim_f = r["ttft_seconds"]["mean"]
            e_i = sim_i / p["itl_s"] - 1
            e_f = sim_f / p["ttft_s"] - 1
            errs["itl"].append(abs(e_i))
            errs["ttft"].append(abs(e_f))
            row += (f"{p['itl_s'] * 1e3:>10.2f} {sim_i * 1e3:>7.2f} {e_i:>+7.1%} "
                    f"{p['ttft_s'] * 1e3:>11.1f} {sim_f * 1e3:>9.1f} {e_f:>+7.1%}")
        print(row)
    medians = {k: statistics.median(v) for k, v in errs.items()}
    print(f"\n{len(doc['points'])} points; median |error|: throughput {medians['throughput']:.1%} "
          f"({len(errs['throughput'])} points), ITL {medians['itl']:.1%} ({len(errs['itl'])}), "
          f"TTFT {medians['ttft']:.1%} ({len(errs['ttft'])})")
    if args.check:
        with open(args.check, encoding="utf-8") as f:
            bounds = json.load(f)
        bad = [k for k, v in medians.items() if v > bounds[k] + 1e-9]
        if bad:
            print("worse than recorded: " + ", ".join(bad), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
