#!/usr/bin/env python3
"""Checks of three mechanisms the H200 campaign pointed at (validation/h200/README.md), each a
difference of two timings on the same GPU:

  attention_grad_accumulation  SDPA forward + backward timed as the H100 file timed it
                               (out.backward(g) on leaf q, k, v whose .grad is never cleared,
                               so autograd adds each new gradient into the old one) and with the
                               gradients set to None between calls (outside the timing).
  eager_host                   the compact decoder's eager prefill (measure_calibration.py):
                               host seconds to issue one forward (no synchronisation) over the
                               CUDA kernels the profiler counts for it (counted after the timing:
                               once the profiler has run, later launches are slower).
  train_host                   the same by phase of a Hugging Face training step (forward from
                               Python, backward from autograd's C++ engine, fused AdamW).
  fp8_decode_gemms             the four projection GEMMs of Llama-3-8B x 32 layers at one token,
                               captured in a CUDA graph: bf16 weights; e4m3 weights with the
                               activation already in e4m3 (the GEMMs alone); and with the
                               activation padded to 16 rows and cast in the graph, as
                               measure_calibration.py's fp8 decoder does.

  python3 validation/h200/mechanism_checks.py --out mechanisms.json
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import measure_calibration as M  # noqa: E402


def attention_grad_accumulation():
    out = []
    for b, h, s, d in ((8, 32, 512, 128), (1, 32, 8192, 128), (4, 32, 2048, 128)):
        for causal in (True, False):
            q, k, v = (torch.randn(b, h, s, d, device="cuda", dtype=torch.bfloat16, requires_grad=True)
                       for _ in range(3))
            g = torch.randn(b, h, s, d, device="cuda", dtype=torch.bfloat16)

            def fn():
                F.scaled_dot_product_attention(q, k, v, is_causal=causal).backward(g)
            cleared = M.bench(fn, grad_to_none=[q, k, v])
            fn()  # .grad now exists: every later call accumulates
            accumulated = M.bench(fn)
            out.append({"b": b, "h": h, "s": s, "d": d, "causal": causal, "fwd_bwd_ms_grads_cleared": cleared,
                        "fwd_bwd_ms_grads_accumulated": accumulated})
            M.log("  attention b%d s%d causal=%s: cleared %.4f ms, accumulated %.4f ms" % (b, s, causal, cleared,
                                                                                       accumulated))
    return out


@torch.no_grad()
def eager_host():
    from torch.profiler import ProfilerActivity, profile
    out, runs = [], []
    for name, batch, prompt in (("llama-3-8b", 1, 128), ("llama-3.2-1b", 1, 128), ("llama-3.2-1b", 1, 512)):
        m = M.Decoder(M.MODELS[name])
        m.alloc_cache(batch, prompt + 1)
        ids = torch.randint(0, m.cfg["vocab"], (batch, prompt), device="cuda")
        for _ in range(3):
            m(ids, 0)
        host, wall = [], []
        for _ in range(10):  # every case timed before any profiling: the profiler slows later launches
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            m(ids, 0)
            t1 = time.perf_counter()
            torch.cuda.synchronize()
            t2 = time.perf_counter()
            host.append(t1 - t0)
            wall.append(t2 - t0)
        host.sort()
        wall.sort()
        out.append({"model": name, "batch": batch, "prompt": prompt, "host_s": host[5], "wall_s": wall[5]})
        runs.append((m, ids))
    for row, (m, ids) in zip(out, runs):
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            m(ids, 0)
            torch.cuda.synchronize()
        row["kernels"] = sum(1 for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA)
        row["host_s_per_kernel"] = row["host_s"] / max(row["kernels"], 1)
        M.log("  eager %s b%d p%d: %d kernels, host %.2f ms, wall %.2f ms" % (
            row["model"], row["batch"], row["prompt"], row["kernels"], 1e3 * row["host_s"], 1e3 * row["wall_s"]))
    del runs
    torch.cuda.empty_cache()
    return out


def train_host():
    """Host seconds of one Hugging Face training step by phase (forward with loss, backward,
    optimizer step + zero_grad), each issued without synchronising, over its kernels: the
    forward's ops come from Python, the backward's from autograd's C++ engine. Every case is
    timed before any profiling (the profiler slows later launches)."""
    from torch.profiler import ProfilerActivity, profile
    from transformers import LlamaConfig, LlamaForCausalLM
    out, runs = [], []
    for name, mb, seq in (("llama-160m", 4, 2048), ("llama-160m", 1, 256)):
        raw = json.load(open(os.path.join(M.CONFIGS, name + ".json")))
        raw = {k: v for k, v in raw.items() if not k.startswith("_") and k not in ("torch_dtype", "transformers_version")}
        c = LlamaConfig(**raw, attn_implementation="sdpa")
        with torch.device("cuda"):
            model = LlamaForCausalLM(c).to(torch.bfloat16)
        opt = torch.optim.AdamW(model.parameters(), fused=True)
        ids = torch.randint(0, c.vocab_size, (mb, seq), device="cuda")
        phases = {"forward": [], "backward": [], "optimizer": [], "wall": []}
        for i in range(10):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            loss = model(input_ids=ids, labels=ids).loss
            t1 = time.perf_counter()
            loss.backward()
            t2 = time.perf_counter()
            opt.step()
            opt.zero_grad(set_to_none=True)
            t3 = time.perf_counter()
            torch.cuda.synchronize()
            t4 = time.perf_counter()
            if i >= 3:
                for k, v in (("forward", t1 - t0), ("backward", t2 - t1), ("optimizer", t3 - t2), ("wall", t4 - t0)):
                    phases[k].append(v)
        row = {"model": name, "micro_batch": mb, "seq": seq, "parameter_tensors": len(list(model.parameters()))}
        for k, v in phases.items():
            v.sort()
            row[k + "_host_s" if k != "wall" else "wall_s"] = v[len(v) // 2]
        out.append(row)
        runs.append((model, opt, ids))
    for row, (model, opt, ids) in zip(out, runs):
        counts = {}
        for phase in ("forward", "backward", "optimizer"):
            with profile(activities=[ProfilerActivity.CUDA]) as prof:
                if phase == "forward":
                    loss = model(input_ids=ids, labels=ids).loss
                elif phase == "backward":
                    loss.backward()
                else:
                    opt.step()
                    opt.zero_grad(set_to_none=True)
                torch.cuda.synchronize()
            counts[phase] = sum(1 for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA)
        for k, n in counts.items():
            row[k + "_kernels"] = n
            row[k + "_host_s_per_kernel"] = row[k + "_host_s"] / max(n, 1)
        M.log("  train host %s: %s" % (row["model"], json.dumps(row)))
    del runs
    torch.cuda.empty_cache()
    return out


@torch.no_grad()
def fp8_decode_gemms():
    c = M.LLAMA3_8B
    shapes = {"qkv": (c["h"], (c["nh"] + 2 * c["nkv"]) * c["h"] // c["nh"]), "o": (c["h"], c["h"]),
              "gu": (c["h"], 2 * c["ffn"]), "down": (c["ffn"], c["h"])}
    one = torch.ones((), device="cuda")
    res = {}
    for mode in ("bf16", "fp8_prequantized", "fp8_pad_cast", "pad_cast_only"):
        ws = []
        for _ in range(c["L"]):
            layer = {}
            for n, (k, o) in shapes.items():
                w = torch.randn(k, o, device="cuda", dtype=torch.bfloat16) * 0.02
                layer[n] = w if mode == "bf16" else w.t().contiguous().to(torch.float8_e4m3fn).t()
            ws.append(layer)
        xs = {k: torch.randn(1, k, device="cuda", dtype=torch.bfloat16) for k, _ in shapes.values()}
        x8 = {k: F.pad(x, (0, 0, 0, 15)).to(torch.float8_e4m3fn) for k, x in xs.items()}

        def body():
            for layer in ws:
                for n, (k, _) in shapes.items():
                    if mode == "bf16":
                        xs[k] @ layer[n]
                    elif mode == "fp8_prequantized":
                        torch._scaled_mm(x8[k], layer[n], scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
                    elif mode == "fp8_pad_cast":
                        a = F.pad(xs[k], (0, 0, 0, 15)).to(torch.float8_e4m3fn)
                        torch._scaled_mm(a, layer[n], scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
                    else:
                        F.pad(xs[k], (0, 0, 0, 15)).to(torch.float8_e4m3fn)
        body()
        torch.cuda.synchronize()
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            body()
        res[mode + "_ms"] = M.bench(graph.replay)
        M.log("  fp8 decode gemms %s: %.3f ms" % (mode, res[mode + "_ms"]))
        del ws, graph
        torch.cuda.empty_cache()
    res["gemms"] = 4 * c["L"]
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default="", help="comma-separated checks (default: all)")
    args = ap.parse_args()
    doc = {"about": "validation/h200/mechanism_checks.py on %s, PyTorch %s, %s" % (
        torch.cuda.get_device_name(0), torch.__version__, time.strftime("%Y-%m-%d"))}
    only = set(filter(None, args.only.split(",")))
    for name, fn in (("attention_grad_accumulation", attention_grad_accumulation), ("eager_host", eager_host),
                     ("train_host", train_host), ("fp8_decode_gemms", fp8_decode_gemms)):
        if only and name not in only:
            continue
        try:
            doc[name] = fn()
        except Exception as e:  # noqa: BLE001 - one check's failure must not lose the others
            doc[name] = {"error": repr(e)[:500]}
            M.log("%s failed: %r" % (name, e))
        with open(args.out, "w") as f:
            json.dump(doc, f, indent=1)


if __name__ == "__main__":
    main()
