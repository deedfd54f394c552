#!/usr/bin/env python3
"""Measures this machine's GPU the way validation/h100/h100-calibration.json was measured, and
writes the same JSON layout, so that score.py predicts every case through the CLI:

  python3 validation/measure_calibration.py --out validation/h200/h200-calibration.json
  python3 validation/h100/score.py --data validation/h200/h200-calibration.json --hardware h200 --cases

Needs PyTorch with CUDA (and transformers for the training steps; they are skipped without it).
What is timed mirrors the `how` fields of the H100 file: medians of triton.testing.do_bench
(CUDA events; do_bench also clears the L2 before each call) with weights rotated among copies
larger than twice the L2; SDPA forward and forward + backward; a compact Llama decoder's eager
prefill and CUDA-graph decode; Hugging Face training steps in pure bf16 with fused AdamW and
their torch.cuda.max_memory_allocated.

The cases are the H100 file's cases (so the two GPUs can be compared case by case) plus others
of the same kinds (`"extra": true`), which no constant was fitted on.

Each section is written to --out as soon as it is measured, and a section that fails records
its error instead of stopping the run.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time
import traceback

import torch
import torch.nn.functional as F

try:
    from triton.testing import do_bench
except ImportError:  # pragma: no cover - triton ships with CUDA builds of PyTorch
    do_bench = None

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(HERE, "h100", "configs")

LLAMA3_8B = dict(h=4096, L=32, nh=32, nkv=8, ffn=14336, vocab=128256)
LLAMA32_1B = dict(h=2048, L=16, nh=32, nkv=8, ffn=8192, vocab=128256)
MODELS = {"llama-3-8b": LLAMA3_8B, "llama-3.2-1b": LLAMA32_1B}


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def bench(fn, grad_to_none=None):
    """Median milliseconds of fn()."""
    if do_bench is not None:
        return float(do_bench(fn, warmup=25, rep=100, grad_to_none=grad_to_none, return_mode="median"))
    torch.cuda.synchronize()
    for _ in range(5):
        fn()
    times = []
    for _ in range(20):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    return sorted(times)[len(times) // 2]


GEMM_SHAPES = {"qo": (4096, 4096), "kv": (1024, 4096), "gate_up": (14336, 4096), "down": (4096, 14336),
               "lm_head": (128256, 4096)}
GEMM_M = {"bf16": (1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192),
          "fp8": (16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192)}
H100_GEMM = {(1, "bf16"), (32, "bf16"), (512, "bf16"), (8192, "bf16"), (128, "fp8"), (2048, "fp8")}


def gemm_cases(l2_bytes):
    out = []
    for dtype, ms in GEMM_M.items():
        for layer, (n, k) in GEMM_SHAPES.items():
            esize = 2 if dtype == "bf16" else 1
            copies = min(64, max(2, math.ceil(2 * l2_bytes / (n * k * esize))))
            ws = [torch.randn(k, n, device="cuda", dtype=torch.bfloat16) for _ in range(copies)]
            if dtype == "fp8":  # column-major [K, N] e4m3, as _scaled_mm wants its second operand
                ws = [w.t().contiguous().to(torch.float8_e4m3fn).t() for w in ws]
                one = torch.ones((), device="cuda")
            for m in ms:
                a = torch.randn(m, k, device="cuda", dtype=torch.bfloat16)
                i = [0]
                if dtype == "bf16":
                    def fn():
                        i[0] = (i[0] + 1) % len(ws)
                        return a @ ws[i[0]]
                else:
                    a8 = a.to(torch.float8_e4m3fn)

                    def fn():
                        i[0] = (i[0] + 1) % len(ws)
                        return torch._scaled_mm(a8, ws[i[0]], scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
                t = bench(fn)
                out.append({"M": m, "N": n, "K": k, "dtype": dtype, "ms": t, "tflops": 2 * m * n * k / t / 1e9,
                            "layer": layer, "extra": (m, dtype) not in H100_GEMM})
            del ws
            torch.cuda.empty_cache()
    return out


def bandwidth_cases():
    out = []
    for mib in (1, 8, 32, 128, 512, 2048, 4096):
        x = torch.empty(mib * 2**20 // 4, device="cuda", dtype=torch.float32).fill_(1)
        y = torch.empty_like(x)
        c = bench(lambda: y.copy_(x))
        r = bench(lambda: x.sum())
        w = bench(lambda: y.fill_(2))
        b = mib * 2**20
        out.append({"MiB": mib, "copy_ms": c, "copy_GBps_rw": 2 * b / c / 1e6, "read_ms": r, "read_GBps": b / r / 1e6,
                    "write_ms": w, "write_GBps": b / w / 1e6})
        del x, y
    return out


# (b, h, s, d): the H100 file's two shapes first, then others of the kind issue 9 names.
ATTENTION = ((8, 32, 512, 128), (1, 32, 8192, 128), (4, 32, 2048, 128), (2, 32, 4096, 128), (8, 32, 1024, 64),
             (2, 16, 4096, 64), (1, 16, 16384, 64), (16, 32, 256, 128))


def attention_cases():
    out = []
    for n, (b, h, s, d) in enumerate(ATTENTION):
        for causal in (True, False):
            q, k, v = (torch.randn(b, h, s, d, device="cuda", dtype=torch.bfloat16, requires_grad=True)
                       for _ in range(3))
            g = torch.randn(b, h, s, d, device="cuda", dtype=torch.bfloat16)
            fwd = bench(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal))
            both = bench(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal).backward(g),
                         grad_to_none=[q, k, v])
            flops = 4 * b * h * s * s * d / (2 if causal else 1)
            out.append({"b": b, "h": h, "s": s, "d": d, "causal": causal, "fwd_ms": fwd, "fwd_bwd_ms": both,
                        "fwd_tflops": flops / fwd / 1e9, "fwd_bwd_tflops": 3.5 * flops / both / 1e9,
                        "extra": n >= 2})
            del q, k, v, g
    return out


class Decoder(torch.nn.Module):
    """The compact Llama decoder of the H100 file's `inference.how` (no rotary). fp8=True keeps
    the projection weights in e4m3 with a per-tensor scale and multiplies with torch._scaled_mm
    (activations cast to e4m3 per call; rows padded to 16 where cuBLASLt needs it)."""

    def __init__(self, cfg, fp8=False):
        super().__init__()
        h, nh, nkv, ffn = cfg["h"], cfg["nh"], cfg["nkv"], cfg["ffn"]
        self.cfg, self.hd, self.fp8 = cfg, h // nh, fp8

        def mk(o, i):
            w = torch.randn(i, o, device="cuda", dtype=torch.bfloat16) * 0.02
            return w.t().contiguous().to(torch.float8_e4m3fn).t() if fp8 else w
        self.layers = [dict(qkv=mk((nh + 2 * nkv) * self.hd, h), o=mk(h, h), gu=mk(2 * ffn, h), down=mk(h, ffn),
                            n1=torch.ones(h, device="cuda", dtype=torch.bfloat16),
                            n2=torch.ones(h, device="cuda", dtype=torch.bfloat16)) for _ in range(cfg["L"])]
        self.head = torch.randn(h, cfg["vocab"], device="cuda", dtype=torch.bfloat16) * 0.02
        self.emb = torch.randn(cfg["vocab"], h, device="cuda", dtype=torch.bfloat16)
        self.one = torch.ones((), device="cuda")
        self.k = self.v = []

    def alloc_cache(self, batch, max_len):
        self.k = self.v = []
        torch.cuda.empty_cache()
        c = self.cfg
        self.k = [torch.zeros(batch, c["nkv"], max_len, self.hd, device="cuda", dtype=torch.bfloat16)
                  for _ in self.layers]
        self.v = [torch.zeros_like(t) for t in self.k]

    def mm(self, x, w):
        if not self.fp8:
            return x @ w
        shape = x.shape
        x2 = x.reshape(-1, shape[-1])
        rows = x2.shape[0]
        if rows % 16:
            x2 = F.pad(x2, (0, 0, 0, 16 - rows % 16))
        y = torch._scaled_mm(x2.to(torch.float8_e4m3fn), w, scale_a=self.one, scale_b=self.one,
                             out_dtype=torch.bfloat16)
        return y[:rows].reshape(*shape[:-1], w.shape[1])

    def forward(self, ids, pos):
        c, hd = self.cfg, self.hd
        x = self.emb[ids]
        b, s, _ = x.shape
        for i, l in enumerate(self.layers):
            y = self.mm(F.rms_norm(x, (c["h"],), l["n1"]), l["qkv"])
            q, k, v = y.split([c["nh"] * hd, c["nkv"] * hd, c["nkv"] * hd], -1)
            q = q.view(b, s, c["nh"], hd).transpose(1, 2)
            self.k[i][:, :, pos:pos + s] = k.view(b, s, c["nkv"], hd).transpose(1, 2)
            self.v[i][:, :, pos:pos + s] = v.view(b, s, c["nkv"], hd).transpose(1, 2)
            a = F.scaled_dot_product_attention(q, self.k[i][:, :, :pos + s], self.v[i][:, :, :pos + s],
                                               is_causal=s > 1, enable_gqa=True)
            x = x + self.mm(a.transpose(1, 2).reshape(b, s, -1), l["o"])
            g, u = self.mm(F.rms_norm(x, (c["h"],), l["n2"]), l["gu"]).chunk(2, -1)
            x = x + self.mm(F.silu(g) * u, l["down"])
        return F.rms_norm(x[:, -1], (c["h"],)) @ self.head


# (model, batch, prompt, context): the H100 file's eight cases, then others of the same kind.
INFERENCE = (("llama-3-8b", 1, 128, 512), ("llama-3-8b", 1, 2048, 2048), ("llama-3-8b", 8, 512, 1024),
             ("llama-3-8b", 32, 512, 1024), ("llama-3-8b", 128, 128, 1024), ("llama-3-8b", 1, 8192, 8192),
             ("llama-3-8b", 4, 1024, 4096), ("llama-3-8b", 16, 256, 2048), ("llama-3-8b", 64, 256, 512),
             ("llama-3.2-1b", 1, 512, 512), ("llama-3.2-1b", 64, 256, 2048), ("llama-3.2-1b", 8, 1024, 1024),
             ("llama-3.2-1b", 1, 128, 8192), ("llama-3.2-1b", 256, 64, 512))
H100_INFERENCE = 6  # per the order above: the 8B's first six and the 1B's first two
FP8_DECODE = (("llama-3-8b", 1, 512), ("llama-3-8b", 8, 1024), ("llama-3-8b", 32, 1024), ("llama-3.2-1b", 1, 512))


def decode_ms(m, batch, ctx):
    one = torch.randint(0, m.cfg["vocab"], (batch, 1), device="cuda")
    graph = torch.cuda.CUDAGraph()
    m(one, ctx)
    torch.cuda.synchronize()
    with torch.cuda.graph(graph):
        m(one, ctx)
    t = bench(graph.replay)
    del graph
    return t


@torch.no_grad()
def inference_cases():
    out = []
    seen = {}
    for name in MODELS:
        m = Decoder(MODELS[name])
        for n, (mname, batch, prompt, ctx) in enumerate(INFERENCE):
            if mname != name:
                continue
            seen[name] = seen.get(name, 0) + 1
            m.alloc_cache(batch, max(prompt, ctx) + 1)
            ids = torch.randint(0, m.cfg["vocab"], (batch, prompt), device="cuda")
            pre = bench(lambda: m(ids, 0))
            dec = decode_ms(m, batch, ctx)
            kv = 2 * sum(t.numel() for t in m.k) * 2 * (ctx + 1) // (max(prompt, ctx) + 1)
            first = H100_INFERENCE if name == "llama-3-8b" else 2
            out.append({"model": name, "cfg": m.cfg, "batch": batch, "prefill_tokens": prompt, "prefill_ms": pre,
                        "decode_context": ctx, "decode_step_ms": dec, "decode_tokens_per_s": batch / dec * 1e3,
                        "kv_cache_bytes": kv, "extra": seen[name] > first})
            log("  %s b%d p%d c%d: prefill %.2f ms, decode %.3f ms" % (name, batch, prompt, ctx, pre, dec))
        del m
        torch.cuda.empty_cache()
    return out


@torch.no_grad()
def fp8_decode_cases():
    out = []
    for name in MODELS:
        m = Decoder(MODELS[name], fp8=True)
        for mname, batch, ctx in FP8_DECODE:
            if mname != name:
                continue
            m.alloc_cache(batch, ctx + 1)
            dec = decode_ms(m, batch, ctx)
            out.append({"model": name, "batch": batch, "decode_context": ctx, "weights": "fp8", "decode_step_ms": dec})
            log("  fp8 %s b%d c%d: decode %.3f ms" % (name, batch, ctx, dec))
        del m
        torch.cuda.empty_cache()
    return out


# (config file in validation/h100/configs, micro batch): the H100 file's two, then others.
TRAIN = (("llama-160m", 16), ("llama-3.2-3b-untied", 2), ("llama-3.2-1b", 4), ("llama-160m", 4),
         ("llama-3.2-3b-untied", 4))


def train_cases():
    try:
        from transformers import LlamaConfig, LlamaForCausalLM
    except ImportError:
        return []
    out = []
    for n, (name, mb) in enumerate(TRAIN):
        raw = json.load(open(os.path.join(CONFIGS, name + ".json")))
        raw = {k: v for k, v in raw.items() if not k.startswith("_") and k not in ("torch_dtype", "transformers_version")}
        c = LlamaConfig(**raw, attn_implementation="sdpa")
        with torch.device("cuda"):
            model = LlamaForCausalLM(c).to(torch.bfloat16)
        model.train()
        opt = torch.optim.AdamW(model.parameters(), fused=True)
        ids = torch.randint(0, c.vocab_size, (mb, 2048), device="cuda")

        def step():
            model(input_ids=ids, labels=ids).loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
        for _ in range(3):
            step()
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        for _ in range(8):
            step()
        torch.cuda.synchronize()
        s = (time.perf_counter() - t0) / 8
        cfg = dict(h=c.hidden_size, L=c.num_hidden_layers, nh=c.num_attention_heads, nkv=c.num_key_value_heads,
                   ffn=c.intermediate_size, vocab=c.vocab_size)
        out.append({"model": name, "cfg": cfg, "params": sum(p.numel() for p in model.parameters()),
                    "micro_batch": mb, "seq": 2048, "step_s": s, "tokens_per_s": mb * 2048 / s,
                    "peak_mem_bytes": torch.cuda.max_memory_allocated(),
                    "precision": "pure bf16 params, fused AdamW, HF eager sdpa", "extra": n >= 2})
        log("  train %s mb%d: %.4f s, peak %.2f GiB" % (name, mb, s, out[-1]["peak_mem_bytes"] / 2**30))
        del model, opt
        torch.cuda.empty_cache()
    return out


HOW = {
    "gemm_llm_shapes": "C[M,N] = A[M,K] @ W[K,N] for the five projection shapes of Llama-3-8B (qo 4096x4096, kv "
                       "1024x4096, gate_up 14336x4096, down 4096x14336, lm_head 128256x4096); W rotated among copies "
                       "together over twice the L2. bf16: torch.matmul (cuBLAS). fp8: torch._scaled_mm, e4m3 inputs, "
                       "bf16 output, per-tensor scales. Median of do_bench.",
    "bandwidth": "float32 buffers: copy (bytes read + written), read (x.sum()), write (fill_).",
    "attention": "torch.nn.functional.scaled_dot_product_attention, bf16, q/k/v [b, h, s, d], PyTorch's default "
                 "backend; fwd_ms = forward alone; fwd_bwd_ms = forward + backward (out.backward(g), grads set to "
                 "None between calls, outside the timing). fwd_tflops counts 4*b*h*s*s*d (half when causal); "
                 "fwd_bwd_tflops 3.5x that.",
    "inference": "As the H100 file: compact Llama decoder, bf16 random weights, per layer rms_norm, fused qkv, KV into "
                 "a preallocated cache, SDPA with enable_gqa (causal for the prompt), o_proj, rms_norm, fused gate_up, "
                 "silu*up, down; final norm and lm_head on the last token. prefill_ms: one eager forward over batch x "
                 "prompt; decode_step_ms: one token per sequence at position decode_context, CUDA-graph replay.",
    "fp8_decode": "The inference decoder with its four projection weights in e4m3 (per-tensor scale 1) multiplied by "
                  "torch._scaled_mm (activation cast to e4m3 in the step, rows padded to a multiple of 16); "
                  "lm_head, embedding and KV cache stay bf16. CUDA-graph replay, as decode_step_ms.",
    "train": "Hugging Face transformers LlamaForCausalLM built from validation/h100/configs/<model>.json (sdpa, "
             "untied embeddings), pure bf16 parameters, torch.optim.AdamW(fused=True); one step = forward with labels, "
             "backward, optimizer step, zero_grad(set_to_none). Wall time per step after 3 warm-up steps, mean of 8; "
             "peak_mem_bytes = torch.cuda.max_memory_allocated over the measured steps.",
}


def smi():
    try:
        return subprocess.run(["nvidia-smi", "--query-gpu=name,clocks.current.sm,clocks.max.sm,clocks.current.memory,"
                               "power.limit,memory.total,driver_version", "--format=csv"],
                              capture_output=True, text=True, timeout=30).stdout
    except Exception as e:  # noqa: BLE001 - recorded, not fatal
        return "nvidia-smi failed: %r" % e


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default="", help="comma-separated sections to measure (default: all)")
    args = ap.parse_args()
    p = torch.cuda.get_device_properties(0)
    l2 = getattr(p, "L2_cache_size", 50 * 2**20)
    doc = {"about": "validation/measure_calibration.py on %s, PyTorch %s, %s. Timings are medians of "
                    "triton.testing.do_bench (CUDA events) unless said otherwise; same methods as "
                    "h100-calibration.json. Cases marked extra are not in the H100 file."
                    % (p.name, torch.__version__, time.strftime("%Y-%m-%d")),
           "env": {"torch": torch.__version__, "name": p.name, "sms": p.multi_processor_count,
                   "mem_bytes": p.total_memory, "l2_bytes": l2, "smi": smi()}}
    sections = (("bandwidth", bandwidth_cases), ("gemm_llm_shapes", lambda: gemm_cases(l2)),
                ("attention", attention_cases), ("inference", inference_cases), ("fp8_decode", fp8_decode_cases),
                ("train", train_cases))
    only = set(filter(None, args.only.split(",")))
    for name, fn in sections:
        if only and name not in only:
            continue
        t0 = time.time()
        log("%s ..." % name)
        try:
            doc[name] = {"how": HOW[name], "cases": fn()}
        except Exception:  # noqa: BLE001 - one section's failure must not lose the others
            doc[name] = {"how": HOW[name], "cases": [], "error": traceback.format_exc()}
            log(doc[name]["error"])
        torch.cuda.empty_cache()
        log("%s: %d cases in %.1f s" % (name, len(doc[name]["cases"]), time.time() - t0))
        with open(args.out, "w") as f:
            json.dump(doc, f, indent=1)
    doc["env"]["smi_after"] = smi()
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1)


if __name__ == "__main__":
    main()
