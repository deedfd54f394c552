#!/usr/bin/env python3
"""Predicted vs measured GEMM time on one H100 SXM, through the `flopscope` CLI.

For every square GEMM in the probe sample (validation/h100/h100-probe-sample.json) this runs
`flopscope predict gemm ... --hardware h100-sxm --software graphs --json` three ways:

  defaults   no profile: data/hardware/efficiency.toml only (large-GEMM ceilings from the
             published MAMF table, not from this sample)
  loo        leave-one-out: a profile written from every OTHER sample (all dtypes, plus the
             measured copy bandwidth) predicts the held-out one
  in-sample  the full profile (validation/h100/h100-sxm.profile.toml format), which contains
             the sample itself: fitted, shown only as an upper bound on agreement

The measured time (triton do_bench, CUDA events) is one kernel: GPU work plus the per-kernel
launch cost, without eager host dispatch. The predicted figure compared is therefore
max(seconds_compute, seconds_memory) + the engine's per-kernel launch cost (4 us default).

Usage: validation/gemm/validate.py [--flopscope build/perf/flopscope] [--markdown]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SAMPLE = os.path.join(ROOT, "validation", "h100", "h100-probe-sample.json")


def profile_toml(sample, gemms):
    copy = max(b["copy_GBps_rw"] for b in sample["bandwidth"]) * 1e9
    lines = [
        "version = 1",
        'date = "2026-11-23"',
        'tool = "validation/gemm/validate.py from h100-probe-sample.json"',
        "[device]",
        'name = "%s"' % sample["env"]["name"],
        'hardware_id = "h100-sxm"',
        "compute_units = %d" % sample["env"]["sms"],
        "bytes_l2 = %.1f" % sample["env"]["l2_bytes"],
        "[memory]",
        "bytes_per_second_copy = %r" % copy,
    ]
    for g in gemms:
        s = g["ms"] * 1e-3
        lines += ["[[gemm]]", 'dtype = "%s"' % g["dtype"], "m = %d" % g["M"], "n = %d" % g["N"], "k = %d" % g["K"],
                  "seconds = %r" % s, "flops_per_second = %r" % (2.0 * g["M"] * g["N"] * g["K"] / s)]
    return "\n".join(lines) + "\n"


def predict(flopscope, g, profile):
    cmd = [flopscope, "predict", "gemm", "--m", str(g["M"]), "--n", str(g["N"]), "--k", str(g["K"]),
           "--dtype", g["dtype"], "--hardware", "h100-sxm", "--software", "eager", "--json"]
    if profile:
        cmd += ["--profile", profile]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    j = json.loads(out)
    # `seconds` is the kernel's GPU time as do_bench measures it (launch and the GEMM's fixed
    # cost included, the eager host cost reported apart): exactly what the CLI prints.
    return j["seconds"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flopscope", default=os.path.join(ROOT, "build", "perf", "flopscope"))
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    sample = json.load(open(SAMPLE))
    gemms = sample["gemm_square"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        full = os.path.join(tmp, "full.profile.toml")
        open(full, "w").write(profile_toml(sample, gemms))
        for i, g in enumerate(gemms):
            loo = os.path.join(tmp, "loo-%d.profile.toml" % i)
            open(loo, "w").write(profile_toml(sample, gemms[:i] + gemms[i + 1:]))
            measured = g["ms"] * 1e-3
            p = {"defaults": predict(args.flopscope, g, None), "loo": predict(args.flopscope, g, loo),
                 "in-sample": predict(args.flopscope, g, full)}
            rows.append((g, measured, p))
    modes = ["defaults", "loo", "in-sample"]
    print("| dtype | M=N=K | measured | defaults | err | leave-one-out | err | in-sample | err |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for g, m, p in rows:
        cells = []
        for mode in modes:
            cells += ["%.1f us" % (p[mode] * 1e6), "%+.1f%%" % ((p[mode] - m) / m * 100)]
        print("| %s | %d | %.1f us | %s |" % (g["dtype"], g["M"], m * 1e6, " | ".join(cells)))
    print()
    print("| dtype | n | defaults median / max | leave-one-out median / max | in-sample median / max |")
    print("|---|---:|---:|---:|---:|")
    dtypes = []
    for g, _, _ in rows:
        if g["dtype"] not in dtypes:
            dtypes.append(g["dtype"])
    for dt in dtypes + ["all"]:
        sel = [(g, m, p) for g, m, p in rows if dt == "all" or g["dtype"] == dt]
        cells = []
        for mode in modes:
            errs = [abs(p[mode] - m) / m * 100 for _, m, p in sel]
            cells.append("%.1f%% / %.1f%%" % (statistics.median(errs), max(errs)))
        print("| %s | %d | %s |" % (dt, len(sel), " | ".join(cells)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
