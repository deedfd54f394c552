"""Measured cases of an H100-class calibration file, and how the `flopscope` CLI predicts each.

Shared by fit.py (fits the free constants of data/hardware/efficiency.toml) and score.py
(the README's validation table). Every prediction is exactly what the CLI prints with
`--json`; nothing here re-derives a time. Standard library only.

A case is a dict: category, label, cmd (the CLI arguments after the binary), field (the JSON
key compared), measured (SI units). The calibration file's `how` fields say how each was
measured; the CLI calls mirror them:

  gemm        one cuBLAS GEMM between CUDA events (do_bench)  -> predict gemm, `seconds`
  attention   SDPA forward, forward + backward (do_bench)      -> predict attention [--backward]
  prefill     one eager forward over the prompt                -> predict prefill, `seconds`
  decode      one step replayed from a CUDA graph              -> predict decode, `seconds_per_step`
  train       one Hugging Face step, pure bf16, fused AdamW    -> predict train --precision bf16:
              step time `seconds_per_step`, `bytes_peak_memory` vs torch.cuda.max_memory_allocated
"""
import json
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CONFIGS = os.path.join(HERE, "configs")

# Published measurement quoted in issue 9 (held-back H100 case, same harness as `inference`):
# Llama-3-8B decode, batch 1, context 512, fp8 weights (`--weights fp8`): 4.85 ms.
ISSUE_FP8_DECODE_MS = 4.85


def config(model):
    return os.path.join(CONFIGS, model + ".json")


def load_cases(path, hardware="h100-sxm", include_issue_quotes=True):
    d = json.load(open(path))
    cases = []
    # A case marked "extra" (validation/measure_calibration.py) is not among the H100 file's cases.
    for c in d.get("gemm_llm_shapes", {}).get("cases", []):
        cases.append({
            "category": "gemm",
            "label": "%s %s M=%d" % (c["layer"], c["dtype"], c["M"]),
            "cmd": ["predict", "gemm", "--m", str(c["M"]), "--n", str(c["N"]), "--k", str(c["K"]),
                    "--dtype", c["dtype"], "--hardware", hardware],
            "field": "seconds",
            "measured": c["ms"] * 1e-3,
            "extra": c.get("extra", False),
        })
    # The H100 file's harness calls out.backward(g) on leaf q, k, v without clearing their .grad
    # between calls, so each timed backward also adds three gradients into the old ones;
    # measure_calibration.py sets them to None outside the timing and says so in `how`.
    accumulate = "set to None" not in d.get("attention", {}).get("how", "")
    for c in d.get("attention", {}).get("cases", []):
        base = ["predict", "attention", "--batch", str(c["b"]), "--heads", str(c["h"]), "--seq", str(c["s"]),
                "--head-dim", str(c["d"]), "--hardware", hardware] + (["--causal"] if c["causal"] else [])
        tag = "b%d h%d s%d d%d%s" % (c["b"], c["h"], c["s"], c["d"], " causal" if c["causal"] else "")
        extra = c.get("extra", False)
        cases.append({"category": "attention", "label": tag + " fwd", "cmd": base, "field": "seconds",
                      "measured": c["fwd_ms"] * 1e-3, "extra": extra})
        bwd = ["--backward"] + (["--accumulate-grad"] if accumulate else [])
        cases.append({"category": "attention", "label": tag + " fwd+bwd", "cmd": base + bwd,
                      "field": "seconds", "measured": c["fwd_bwd_ms"] * 1e-3, "extra": extra})
    for c in d.get("inference", {}).get("cases", []):
        m = config(c["model"])
        cases.append({
            "category": "prefill",
            "label": "%s b%d p%d" % (c["model"], c["batch"], c["prefill_tokens"]),
            "cmd": ["predict", "prefill", m, "--batch", str(c["batch"]), "--prompt", str(c["prefill_tokens"]),
                    "--hardware", hardware, "--dtype", "bf16"],
            "field": "seconds",
            "measured": c["prefill_ms"] * 1e-3,
            "extra": c.get("extra", False),
        })
        cases.append({
            "category": "decode",
            "label": "%s b%d c%d" % (c["model"], c["batch"], c["decode_context"]),
            "cmd": ["predict", "decode", m, "--batch", str(c["batch"]), "--context", str(c["decode_context"]),
                    "--hardware", hardware, "--dtype", "bf16"],
            "field": "seconds_per_step",
            "measured": c["decode_step_ms"] * 1e-3,
            "extra": c.get("extra", False),
        })
    for c in d.get("train", {}).get("cases", []):
        m = config(c["model"])
        cmd = ["predict", "train", m, "--micro-batch", str(c["micro_batch"]), "--seq", str(c["seq"]),
               "--hardware", hardware, "--precision", "bf16"]
        label = "%s mb%d s%d" % (c["model"], c["micro_batch"], c["seq"])
        extra = c.get("extra", False)
        cases.append({"category": "train time", "label": label, "cmd": cmd, "field": "seconds_per_step",
                      "measured": c["step_s"], "extra": extra})
        cases.append({"category": "train memory", "label": label, "cmd": cmd, "field": "bytes_peak_memory",
                      "measured": float(c["peak_mem_bytes"]), "extra": extra})
    for c in d.get("fp8_decode", {}).get("cases", []):
        cases.append({
            "category": "fp8 decode",
            "label": "%s b%d c%d --weights fp8" % (c["model"], c["batch"], c["decode_context"]),
            "cmd": ["predict", "decode", config(c["model"]), "--batch", str(c["batch"]), "--context",
                    str(c["decode_context"]), "--hardware", hardware, "--dtype", "bf16", "--weights", "fp8"],
            "field": "seconds_per_step",
            "measured": c["decode_step_ms"] * 1e-3,
            "extra": True,
        })
    if include_issue_quotes and hardware == "h100-sxm":
        cases.append({
            "category": "fp8 decode",
            "label": "llama-3-8b b1 c512 --weights fp8 (issue 9 text)",
            "cmd": ["predict", "decode", config("llama-3-8b"), "--batch", "1", "--context", "512",
                    "--hardware", hardware, "--dtype", "bf16", "--weights", "fp8"],
            "field": "seconds_per_step",
            "measured": ISSUE_FP8_DECODE_MS * 1e-3,
        })
    return cases


def predict(flopscope, case, env=None):
    out = subprocess.run([flopscope] + case["cmd"] + ["--json"], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(case["cmd"]), out.stderr.strip()))
    return float(json.loads(out.stdout)[case["field"]])


def default_flopscope():
    for sub in ("dev", "release"):
        p = os.path.join(ROOT, "build", sub, "flopscope")
        if os.path.exists(p):
            return p
    return os.path.join(ROOT, "build", "dev", "flopscope")


def stats(errors):
    """n, median |error|, p90 |error| (nearest rank), as fractions."""
    a = sorted(abs(e) for e in errors)
    if not a:
        return 0, 0.0, 0.0
    n = len(a)
    med = a[n // 2] if n % 2 else 0.5 * (a[n // 2 - 1] + a[n // 2])
    p90 = a[min(n - 1, max(0, int(round(0.9 * n + 0.5)) - 1))]
    return n, med, p90
