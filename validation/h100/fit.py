#!/usr/bin/env python3
"""Fits the free constants of the Hopper timing model to the H100 calibration measurements
and writes them, with their provenance, into data/hardware/efficiency.toml.

  python3 validation/h100/fit.py [--flopscope build/dev/flopscope] [--write] [--folds 5]

What is fitted, from which measurements (validation/h100/h100-calibration.json, a copy of
the shared H100 SXM file; its `how` fields say how each was taken):

  seconds_launch, memory_fraction   copy rows of `bandwidth`: t = launch + bytes / (fraction x
                                    3.35 TB/s), least squares on relative error
  gemm_ceiling_bf16, _fp8,          the 30 LLM-shaped GEMMs: coordinate descent on the sum of
  seconds_gemm_fixed,               squared log errors of `flopscope predict gemm` (bf16 and
  gemm_stream_fraction_bf16, _fp8   fp8 ceilings from compute-bound shapes, the fixed cost and
                                    stream fractions from memory-bound ones)
  attention_forward,                the SDPA forward cases (`predict attention`)
  attention_mask_overhead
  attention_backward,               the forward + backward cases (`predict attention --backward`)
  attention_cta_overhead_backward
  seconds_launch_stream             the decode steps (`predict decode`, CUDA graphs)
  attention_softmax_fraction        not fitted to this file: derived from FlashAttention-3's
                                    published head-dim 64 / 128 forward ratio (below) and the
                                    fitted attention_forward

Prefill, training time and training memory have no constant fitted to them: their errors in
score.py are out of sample for the constants above (they reuse GEMM, attention, launch and
bandwidth constants fitted on other categories).

With --folds K the script also reports K-fold cross-validated errors per category (each
fold's cases predicted by constants fitted without them) and writes them to
validation/h100/crossval.json, which score.py prints beside the in-sample errors.
The CLI is run with $FLOPSCOPE_EFFICIENCY pointing at a candidate file, so every figure is
what `flopscope ... --json` prints. Standard library only.
"""
import argparse
import json
import math
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases as C  # noqa: E402

EFFICIENCY = os.path.join(C.ROOT, "data", "hardware", "efficiency.toml")
DATA = os.path.join(C.HERE, "h100-calibration.json")
BEGIN = "# BEGIN fitted by validation/h100/fit.py"
END = "# END fitted"
PEAK_BW = 3.35e12  # H100 SXM datasheet HBM3 bandwidth (data/hardware/accelerators.toml)

# FlashAttention-3 (Shah et al. 2024, arXiv:2407.08608, Figure 5, H100 SXM5 bf16 forward,
# non-causal, sequence 8k): 460 TFLOP/s at head dim 64, 646 at head dim 128. Per score
# element that is (4*64/460) / (4*128/646) = 0.702 of the head-dim-128 time: the softmax
# (exp at 16 per SM per clock against 4096 tensor FLOPs) bounds head dim 64.
FA3_D64_TFLOPS, FA3_D128_TFLOPS = 460.0, 646.0

# name -> (lower, upper, start) in the units of efficiency.toml
PARAMS = {
    "seconds_gemm_fixed": (0.0, 20e-6, 5e-6),
    "gemm_ceiling_bf16": (0.5, 1.0, 0.75),
    "gemm_ceiling_fp8": (0.4, 1.0, 0.65),
    "gemm_stream_fraction_bf16": (0.6, 1.0, 0.92),
    "gemm_stream_fraction_fp8": (0.6, 1.0, 0.88),
    "attention_forward": (0.3, 1.0, 0.68),
    "attention_mask_overhead": (0.0, 3.0, 1.0),
    "attention_backward": (0.2, 1.0, 0.5),
    "attention_cta_overhead_backward": (0.0, 8.0, 2.0),
    "seconds_launch_stream": (0.2e-6, 6e-6, 1.5e-6),
}
GROUPS = [
    ("gemm", ["gemm_ceiling_bf16", "gemm_ceiling_fp8", "seconds_gemm_fixed", "gemm_stream_fraction_bf16",
              "gemm_stream_fraction_fp8"]),
    ("attention", ["attention_forward", "attention_mask_overhead", "attention_backward",
                   "attention_cta_overhead_backward"]),
    ("decode", ["seconds_launch_stream"]),
]


def fit_bandwidth(data):
    """seconds_launch and memory_fraction from the copy rows (t = a + bytes / bw)."""
    rows = [(b["MiB"] * 2**20 * 2.0, b["copy_ms"] * 1e-3) for b in data["bandwidth"]["cases"]]
    # minimise sum((a + x/bw)/t - 1)^2: linear in (a, 1/bw)
    s11 = sum(1 / t**2 for _, t in rows)
    s12 = sum(x / t**2 for x, t in rows)
    s22 = sum(x * x / t**2 for x, t in rows)
    r1 = sum(1 / t for _, t in rows)
    r2 = sum(x / t for x, t in rows)
    det = s11 * s22 - s12 * s12
    a = (r1 * s22 - r2 * s12) / det
    inv_bw = (s11 * r2 - s12 * r1) / det
    return {"seconds_launch": a, "memory_fraction": 1.0 / inv_bw / PEAK_BW}, len(rows)


def block_text(values, provenance):
    lines = [BEGIN + " from validation/h100/h100-calibration.json "
             "(H100 SXM, PyTorch 2.11, 2026-11-23); rerun it instead of editing"]
    for k in sorted(values):
        v = values[k]
        lines.append("%s = %.6g    # fitted: %s" % (k, v, provenance.get(k, "")))
    lines.append(END)
    return "\n".join(lines)


def with_block(text, block):
    pat = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pat.search(text):
        raise SystemExit("efficiency.toml has no '%s' block to replace" % BEGIN)
    return pat.sub(lambda _: block, text)


class Evaluator:
    def __init__(self, flopscope, base_text):
        self.flopscope = flopscope
        self.base = base_text
        self.tmp = tempfile.mkdtemp(prefix="flopscope-fit-")
        self.calls = 0

    def errors(self, values, cases):
        path = os.path.join(self.tmp, "efficiency.toml")
        with open(path, "w") as f:
            f.write(with_block(self.base, block_text(values, {})))
        env = dict(os.environ, FLOPSCOPE_EFFICIENCY=path)
        out = []
        for c in cases:
            self.calls += 1
            out.append(C.predict(self.flopscope, c, env) / c["measured"] - 1)
        return out

    def loss(self, values, cases):
        return sum(math.log(1 + e) ** 2 for e in self.errors(values, cases))


def golden(f, lo, hi, iters=11):
    g = (math.sqrt(5) - 1) / 2
    a, b = lo, hi
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(iters):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = f(d)
    return (a + b) / 2


def fit_group(ev, values, names, cases, sweeps=2):
    if not cases:
        return values
    v = dict(values)
    for _ in range(sweeps):
        for n in names:
            lo, hi, _ = PARAMS[n]
            def f(x, n=n):
                trial = dict(v)
                trial[n] = x
                return ev.loss(trial, cases)
            v[n] = golden(f, lo, hi)
    return v


def softmax_fraction(values):
    # softmax rate = peak * exp_per_flop * fraction must equal the FA3 head-dim-64 bound:
    # per element 0.702 x the head-dim-128 matmul time 512 / (peak * attention_forward).
    exp_per_flop = 1.0 / 256
    ratio = (4 * 64 / FA3_D64_TFLOPS) / (4 * 128 / FA3_D128_TFLOPS)
    return min(1.0, values["attention_forward"] / (ratio * 512 * exp_per_flop))


def fit_all(ev, cases, fixed):
    values = dict(fixed)
    for n, (_, _, start) in PARAMS.items():
        values.setdefault(n, start)
    values["attention_softmax_fraction"] = softmax_fraction(values)
    for cat, names in GROUPS:
        values = fit_group(ev, values, names, [c for c in cases if c["category"] == cat])
        values["attention_softmax_fraction"] = softmax_fraction(values)
    return values


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--flopscope", default=C.default_flopscope())
    ap.add_argument("--write", action="store_true", help="write the fitted block into efficiency.toml")
    ap.add_argument("--folds", type=int, default=0, help="K-fold cross-validation (0: none)")
    args = ap.parse_args()
    data = json.load(open(DATA))
    base = open(EFFICIENCY).read()
    ev = Evaluator(args.flopscope, base)
    bw, n_bw = fit_bandwidth(data)
    cases = C.load_cases(DATA)
    fitted_cats = {cat for cat, _ in GROUPS}
    values = fit_all(ev, cases, bw)
    counts = {cat: sum(1 for c in cases if c["category"] == cat) for cat in fitted_cats}
    prov = {
        "seconds_launch": "intercept of %d copy timings 1 MiB-4 GiB (bandwidth.cases)" % n_bw,
        "memory_fraction": "slope of the same %d copy timings / 3.35 TB/s datasheet" % n_bw,
        "seconds_gemm_fixed": "%d LLM-shaped GEMMs (gemm_llm_shapes), mostly the memory-bound ones" % counts["gemm"],
        "gemm_ceiling_bf16": "compute-bound bf16 GEMMs of gemm_llm_shapes (M >= 512)",
        "gemm_ceiling_fp8": "compute-bound fp8 GEMMs of gemm_llm_shapes (M = 2048)",
        "gemm_stream_fraction_bf16": "memory-bound bf16 GEMMs of gemm_llm_shapes (M = 1, 32)",
        "gemm_stream_fraction_fp8": "memory-bound fp8 GEMMs of gemm_llm_shapes (M = 128)",
        "attention_forward": "%d SDPA cases (attention.cases), forward" % (counts["attention"] // 2),
        "attention_mask_overhead": "causal vs non-causal SDPA forward cases",
        "attention_backward": "SDPA forward + backward cases",
        "attention_cta_overhead_backward": "SDPA forward + backward cases (short vs long sequences)",
        "seconds_launch_stream": "%d decode steps replayed from CUDA graphs (inference.cases)" % counts["decode"],
        "attention_softmax_fraction": "derived, not fitted here: FlashAttention-3 Fig. 5 head dim 64 vs 128 "
                                      "(460 vs 646 TFLOP/s at 8k) with the fitted attention_forward",
    }
    block = block_text(values, prov)
    print(block)
    print("(%d CLI calls)" % ev.calls, file=sys.stderr)
    if args.write:
        with open(EFFICIENCY, "w") as f:
            f.write(with_block(base, block))
        print("wrote %s" % os.path.relpath(EFFICIENCY, C.ROOT), file=sys.stderr)
    if args.folds > 1:
        k = args.folds
        cv = {}
        for cat in sorted(fitted_cats):
            members = [c for c in cases if c["category"] == cat]
            errs = []
            for fold in range(k):
                test = [c for i, c in enumerate(members) if i % k == fold]
                if not test:
                    continue
                # Only this category's group sees different cases; the other groups' fits
                # are the full fit's.
                names = dict(GROUPS)[cat]
                train = [c for c in members if c not in test]
                v = fit_group(ev, values, names, train)
                v["attention_softmax_fraction"] = softmax_fraction(v)
                errs += ev.errors(v, test)
            n, med, p90 = C.stats(errs)
            cv[cat] = {"n": n, "median": med, "p90": p90, "folds": k}
            print("%-10s %d-fold: n %d, median %.1f%%, p90 %.1f%%" % (cat, k, n, 100 * med, 100 * p90),
                  file=sys.stderr)
        with open(os.path.join(C.HERE, "crossval.json"), "w") as f:
            json.dump({"about": "K-fold cross-validated |error| per fitted category, written by fit.py --folds",
                       "categories": cv}, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
