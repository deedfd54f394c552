#!/usr/bin/env python3
"""Where a GPU-bound prefill spends its time, and at what clock (validation/h200/README.md):
the compact decoder of measure_calibration.py, Llama-3-8B, batch 32 x 512 tokens, eager.
Writes per-kernel GPU time (torch.profiler, summed by kernel name over one forward) and the
SM clock and power nvidia-smi sampled every 50 ms during 20 back-to-back forwards, and the
same clock during 20 s of one GEMM shape repeated (gate_up, M = 8192) for comparison.

  python3 validation/h200/profile_prefill.py --out prefill-profile.json
"""
import argparse
import json
import os
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import measure_calibration as M  # noqa: E402


def sampled(fn, seconds):
    smi = subprocess.Popen(["nvidia-smi", "--query-gpu=clocks.sm,power.draw", "--format=csv,noheader,nounits",
                            "-lms", "50"], stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)
    t0 = time.time()
    n = 0
    while time.time() - t0 < seconds:
        fn()
        n += 1
    torch.cuda.synchronize()
    smi.terminate()
    rows = []
    for line in smi.stdout.read().splitlines():
        try:
            clock, power = (float(x) for x in line.split(","))
            rows.append((clock, power))
        except ValueError:
            pass
    busy = rows[len(rows) // 4:]  # after the ramp
    busy.sort()
    return {"calls": n, "samples": len(rows), "sm_clock_mhz_median": busy[len(busy) // 2][0] if busy else None,
            "sm_clock_mhz_min": busy[0][0] if busy else None,
            "power_w_median": sorted(p for _, p in busy)[len(busy) // 2] if busy else None}


@torch.no_grad()
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    from torch.profiler import ProfilerActivity, profile
    m = M.Decoder(M.LLAMA3_8B)
    m.alloc_cache(32, 513)
    ids = torch.randint(0, m.cfg["vocab"], (32, 512), device="cuda")
    for _ in range(3):
        m(ids, 0)
    torch.cuda.synchronize()
    doc = {"case": "llama-3-8b compact decoder, eager prefill, batch 32 x 512"}
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(5):
        m(ids, 0)
    end.record()
    end.synchronize()
    doc["forward_ms_mean_of_5"] = start.elapsed_time(end) / 5
    doc["clock_during_prefill"] = sampled(lambda: m(ids, 0), 4.0)
    a = torch.randn(8192, 4096, device="cuda", dtype=torch.bfloat16)
    w = torch.randn(4096, 14336, device="cuda", dtype=torch.bfloat16)
    doc["clock_during_gemm_8192x14336x4096"] = sampled(lambda: a @ w, 4.0)
    x = torch.randn(256, 4096, device="cuda", dtype=torch.bfloat16)
    doc["clock_during_gemm_256x14336x4096"] = sampled(lambda: x @ w, 4.0)
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        m(ids, 0)
        torch.cuda.synchronize()
    by = {}
    for e in prof.events():
        if e.device_type == torch.autograd.DeviceType.CUDA:
            k = e.name[:120]
            t = by.setdefault(k, [0, 0.0])
            t[0] += 1
            t[1] += e.device_time_total if hasattr(e, "device_time_total") else e.cuda_time_total
    doc["kernels_by_name_us"] = sorted(([k, n, us] for k, (n, us) in by.items()), key=lambda r: -r[2])
    doc["kernels_total_us"] = sum(r[2] for r in doc["kernels_by_name_us"])
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1)
    print(json.dumps({k: v for k, v in doc.items() if k != "kernels_by_name_us"}, indent=1))
    for r in doc["kernels_by_name_us"][:25]:
        print("%8.0f us %4d  %s" % (r[2], r[1], r[0][:100]))


if __name__ == "__main__":
    main()
