#!/usr/bin/env python3
"""A calibration profile of the H200 as `flopscope probe` now measures one (each call timed
alone, do_bench's method), built from do_bench measurements taken on that H200, and the
score of every category with it.

  python3 validation/h200/dobench_profile.py [--flopscope build/dev/flopscope]

Why: the probe that ran on the H200 (h200.profile.toml) timed GEMMs in back-to-back batches,
which hid the per-call fixed cost and ran 10-17% faster than do_bench on the same shapes
(4096^3 bf16: 171 us batched, 191 us alone; 8192^3: 1.36 vs 1.64 ms), and took its launch
cost from empty kernels (3.95 us) where the engine's seconds_launch is the intercept of
single copies (validation/h100/fit.py). With that profile every category scored worse than
the catalog (validation/h200/README.md). The probe now times as do_bench does; until it is
rerun on an H200 (rerun_probe.sh), this builds the profile it would write from the same
kinds of measurement, all from h200-probe-sample.json (call 1, measure_gemm.py):

  [launch] seconds_overhead, [memory] bytes_per_second_copy
      the line through the 7 copy timings 1 MiB-4 GiB (bandwidth), fitted as the probe's
      fit_copy_line and fit.py's fit_bandwidth fit it (the same function is used here)
  [[gemm]]
      the 30 square GEMMs 512-16384 in five dtypes (gemm_square), not the LLM shapes that
      score.py scores
  [launch] seconds_host_eager
      the probe's own PyTorch measurement from call 3 (h200.profile.toml)

No attention samples: the file's attention used the flash backend alone and timed the
backward without the forward, neither of which the probe's samples mean; attention keeps the
catalog's constants. Writes validation/h200/h200-dobench.profile.toml, then runs score.py
with it.
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "h100"))
import cases as C  # noqa: E402
from fit import PEAK_BW, fit_bandwidth  # noqa: E402

DTYPES = {"bf16", "fp16", "fp8", "tf32", "fp32"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--flopscope", default=C.default_flopscope())
    args = ap.parse_args()
    sample = json.load(open(os.path.join(HERE, "h200-probe-sample.json")))
    line, n = fit_bandwidth({"bandwidth": {"cases": sample["bandwidth"]}})
    host = re.search(r"seconds_host_eager = ([0-9.e+-]+)", open(os.path.join(HERE, "h200.profile.toml")).read())
    env = sample["env"]
    out = ["# Built by validation/h200/dobench_profile.py from h200-probe-sample.json (do_bench timings);",
           "# see that script for what each figure is.",
           "version = 2", 'date = "2026-11-28"', 'tool = "validation/h200/dobench_profile.py"', "",
           "[device]", 'name = "%s"' % env["name"], 'hardware_id = "h200"', "compute_units = %d" % env["sms"],
           "bytes_l2 = %.1f" % env["l2_bytes"], "", "[memory]",
           "bytes_per_second_copy = %.6g  # line through %d copy timings" % (line["memory_fraction"] * PEAK_BW, n),
           "", "[launch]", "seconds_overhead = %.6g  # intercept of the same line" % line["seconds_launch"],
           "seconds_host_eager = %s" % host.group(1)]
    for g in sample["gemm_square"]:
        if g["dtype"] not in DTYPES:
            continue
        s = g["ms"] * 1e-3
        out += ["", "[[gemm]]", 'dtype = "%s"' % g["dtype"], "m = %d" % g["M"], "n = %d" % g["N"], "k = %d" % g["K"],
                "seconds = %.6g" % s, "flops_per_second = %.6g" % (2.0 * g["M"] * g["N"] * g["K"] / s)]
    path = os.path.join(HERE, "h200-dobench.profile.toml")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print("wrote %s: launch %.3g s, copy %.4g TB/s, %d GEMMs" % (
        os.path.relpath(path), line["seconds_launch"], line["memory_fraction"] * PEAK_BW / 1e12,
        sum(1 for g in sample["gemm_square"] if g["dtype"] in DTYPES)))
    sys.stdout.flush()
    return subprocess.call([sys.executable, os.path.join(HERE, "..", "h100", "score.py"), "--flopscope",
                            args.flopscope, "--data", os.path.join(HERE, "h200-calibration.json"), "--hardware",
                            "h200", "--profile", path])


if __name__ == "__main__":
    sys.exit(main())
