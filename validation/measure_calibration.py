#!/usr/bin/env python3
"""Measures this machine's GPU the way validation/h100/h100-calibration.json was measured, and
writes the same JSON layout, so that score.py predicts every case through the CLI:

  python3 validation/measure_calibration.py --out validation/h200/h200-calibration.json
  python3 validation/h100/score.py --data validation/h200/h200-calibration.json --hardware h200 --cases

Needs PyTorch with CUDA (and transformers for the training steps; they are skipped without it).
What is timed mirrors the `how` fields of the H100 file: medians of triton.testing.do_bench
(CUDA events) with weights rotated among copies larger than L2; SDPA forward and forward +
backward; a compact Llama decoder's eager prefill and CUDA-graph decode; Hugging Face training
steps in pure bf16 with fused AdamW and their torch.cuda.max_memory_allocated.

NOT RUN YET: written in a session without a GPU (flopscope issue 9). Its first run should be
checked on an H100 against validation/h100/h100-calibration.json (same method: within ~5 %).
"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

try:
    from triton.testing import do_bench
except ImportError:  # pragma: no cover - triton ships with CUDA builds of PyTorch
    do_bench = None

LLAMA3_8B = dict(h=4096, L=32, nh=32, nkv=8, ffn=14336, vocab=128256)
LLAMA32_1B = dict(h=2048, L=16, nh=32, nkv=8, ffn=8192, vocab=128256)


def bench(fn):
    if do_bench is not None:
        return float(do_bench(fn, warmup=25, rep=100))
    torch.cuda.synchronize()
    for _ in range(5):
        fn()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(20):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / 20


def gemm_cases(l2_bytes):
    shapes = {"qo": (4096, 4096), "kv": (1024, 4096), "gate_up": (14336, 4096), "down": (4096, 14336),
              "lm_head": (128256, 4096)}
    out = []
    for dtype, ms in (("bf16", (1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192)),
                      ("fp8", (16, 64, 128, 512, 2048, 8192))):
        for layer, (n, k) in shapes.items():
            copies = max(2, math.ceil(2 * l2_bytes / (n * k * (2 if dtype == "bf16" else 1))))
            ws = [torch.randn(k, n, device="cuda", dtype=torch.bfloat16) for _ in range(min(copies, 8))]
            for m in ms:
                a = torch.randn(m, k, device="cuda", dtype=torch.bfloat16)
                i = [0]
                if dtype == "bf16":
                    def fn():
                        i[0] = (i[0] + 1) % len(ws)
                        return a @ ws[i[0]]
                else:
                    a8 = a.to(torch.float8_e4m3fn)
                    w8 = [w.t().contiguous().to(torch.float8_e4m3fn).t() for w in ws]
                    one = torch.ones((), device="cuda")
                    def fn():
                        i[0] = (i[0] + 1) % len(w8)
                        return torch._scaled_mm(a8, w8[i[0]], scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
                t = bench(fn)
                out.append({"M": m, "N": n, "K": k, "dtype": dtype, "ms": t, "tflops": 2 * m * n * k / t / 1e9,
                            "layer": layer})
            del ws
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
    return out


def attention_cases():
    out = []
    for b, h, s, d in ((8, 32, 512, 128), (1, 32, 8192, 128), (4, 32, 2048, 128), (8, 32, 1024, 64), (2, 16, 4096, 64)):
        for causal in (True, False):
            q, k, v = (torch.randn(b, h, s, d, device="cuda", dtype=torch.bfloat16, requires_grad=True) for _ in range(3))
            g = torch.randn(b, h, s, d, device="cuda", dtype=torch.bfloat16)
            fwd = bench(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal))
            both = bench(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal).backward(g))
            flops = 4 * b * h * s * s * d / (2 if causal else 1)
            out.append({"b": b, "h": h, "s": s, "d": d, "causal": causal, "fwd_ms": fwd, "fwd_bwd_ms": both,
                        "fwd_tflops": flops / fwd / 1e9, "fwd_bwd_tflops": 3.5 * flops / both / 1e9})
    return out


class Decoder(torch.nn.Module):
    """The compact Llama decoder of the H100 file's `inference.how` (no rotary)."""

    def __init__(self, cfg, max_len, batch):
        super().__init__()
        h, nh, nkv, ffn = cfg["h"], cfg["nh"], cfg["nkv"], cfg["ffn"]
        self.cfg, self.hd = cfg, h // nh
        mk = lambda o, i: torch.nn.Parameter(torch.randn(i, o, device="cuda", dtype=torch.bfloat16) * 0.02)
        self.layers = [dict(qkv=mk((nh + 2 * nkv) * self.hd, h), o=mk(h, h), gu=mk(2 * ffn, h), down=mk(h, ffn),
                            n1=torch.ones(h, device="cuda", dtype=torch.bfloat16),
                            n2=torch.ones(h, device="cuda", dtype=torch.bfloat16)) for _ in range(cfg["L"])]
        self.head = mk(cfg["vocab"], h)
        self.emb = torch.randn(cfg["vocab"], h, device="cuda", dtype=torch.bfloat16)
        self.k = [torch.zeros(batch, nkv, max_len, self.hd, device="cuda", dtype=torch.bfloat16) for _ in self.layers]
        self.v = [torch.zeros_like(t) for t in self.k]

    def forward(self, ids, pos):
        c, hd = self.cfg, self.hd
        x = self.emb[ids]
        b, s, _ = x.shape
        for i, l in enumerate(self.layers):
            y = F.rms_norm(x, (c["h"],), l["n1"]) @ l["qkv"]
            q, k, v = y.split([c["nh"] * hd, c["nkv"] * hd, c["nkv"] * hd], -1)
            q = q.view(b, s, c["nh"], hd).transpose(1, 2)
            self.k[i][:, :, pos:pos + s] = k.view(b, s, c["nkv"], hd).transpose(1, 2)
            self.v[i][:, :, pos:pos + s] = v.view(b, s, c["nkv"], hd).transpose(1, 2)
            a = F.scaled_dot_product_attention(q, self.k[i][:, :, :pos + s], self.v[i][:, :, :pos + s],
                                               is_causal=s > 1, enable_gqa=True)
            x = x + a.transpose(1, 2).reshape(b, s, -1) @ l["o"]
            g, u = (F.rms_norm(x, (c["h"],), l["n2"]) @ l["gu"]).chunk(2, -1)
            x = x + (F.silu(g) * u) @ l["down"]
        return F.rms_norm(x[:, -1], (c["h"],)) @ self.head


@torch.no_grad()
def inference_cases():
    out = []
    for name, cfg, batch, prompt, ctx in (("llama-3-8b", LLAMA3_8B, 1, 128, 512), ("llama-3-8b", LLAMA3_8B, 4, 1024, 4096),
                                          ("llama-3-8b", LLAMA3_8B, 16, 256, 2048), ("llama-3.2-1b", LLAMA32_1B, 8, 1024, 1024)):
        m = Decoder(cfg, max(prompt, ctx) + 1, batch)
        ids = torch.randint(0, cfg["vocab"], (batch, prompt), device="cuda")
        pre = bench(lambda: m(ids, 0))
        one = torch.randint(0, cfg["vocab"], (batch, 1), device="cuda")
        graph = torch.cuda.CUDAGraph()
        m(one, ctx)
        with torch.cuda.graph(graph):
            m(one, ctx)
        dec = bench(graph.replay)
        out.append({"model": name, "cfg": cfg, "batch": batch, "prefill_tokens": prompt, "prefill_ms": pre,
                    "decode_context": ctx, "decode_step_ms": dec, "decode_tokens_per_s": batch / dec * 1e3})
        del m, graph
        torch.cuda.empty_cache()
    return out


def train_cases():
    try:
        from transformers import LlamaConfig, LlamaForCausalLM
    except ImportError:
        return []
    out = []
    for name, cfg, mb in (("llama-160m", dict(h=768, L=12, nh=12, nkv=12, ffn=2048, vocab=32000), 16),
                          ("llama-3.2-1b", LLAMA32_1B, 4)):
        c = LlamaConfig(hidden_size=cfg["h"], num_hidden_layers=cfg["L"], num_attention_heads=cfg["nh"],
                        num_key_value_heads=cfg["nkv"], intermediate_size=cfg["ffn"], vocab_size=cfg["vocab"],
                        tie_word_embeddings=False, attn_implementation="sdpa")
        model = LlamaForCausalLM(c).cuda().to(torch.bfloat16)
        opt = torch.optim.AdamW(model.parameters(), fused=True)
        ids = torch.randint(0, cfg["vocab"], (mb, 2048), device="cuda")

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
        out.append({"model": name, "cfg": cfg, "params": sum(p.numel() for p in model.parameters()), "micro_batch": mb,
                    "seq": 2048, "step_s": s, "tokens_per_s": mb * 2048 / s,
                    "peak_mem_bytes": torch.cuda.max_memory_allocated(),
                    "precision": "pure bf16 params, fused AdamW, HF eager sdpa"})
        del model, opt
        torch.cuda.empty_cache()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    p = torch.cuda.get_device_properties(0)
    l2 = getattr(p, "L2_cache_size", 50 * 2**20)
    doc = {"about": "validation/measure_calibration.py on %s, PyTorch %s; same methods as h100-calibration.json"
                    % (p.name, torch.__version__),
           "env": {"torch": torch.__version__, "name": p.name, "sms": p.multi_processor_count,
                   "mem_bytes": p.total_memory, "l2_bytes": l2},
           "bandwidth": {"cases": bandwidth_cases()},
           "gemm_llm_shapes": {"cases": gemm_cases(l2)},
           "attention": {"cases": attention_cases()},
           "inference": {"cases": inference_cases()},
           "train": {"cases": train_cases()}}
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1)


if __name__ == "__main__":
    main()
