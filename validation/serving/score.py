#!/usr/bin/env python3
"""Scores `flopscope simulate` against published serving measurements (points.json).

For every point it runs the simulator under the benchmark's load and compares what the
source measured: output tokens/s, mean inter-token latency (TPOT), mean time to first
token and mean end-to-end latency, each only where the point carries it. Loads, by the
point's keys:

    "concurrency": C           closed loop, C clients (genai-perf / AIPerf, vllm bench serve
                               --max-concurrency); 4C requests measured, at least 40, after a
                               warm-up of C (every client's first request: the start-up burst,
                               which perf_analyzer's stable measurement windows leave out)
    "rate": "inf", "requests"  offline: every request queued at t = 0 (trtllm-bench throughput)
    "rate": R, "requests": N   open loop: N requests arriving as a Poisson process at R per second
    "batch": B                 a static batch (gptSessionBenchmark, vLLM benchmark_latency): B
                               requests queued at t = 0 with --max-running B, run together

A source may carry "decode_attention", "software", "prefill", "max_running",
"step_overhead" and "token_overhead" (passed as --decode-attention, --software, --prefill,
--max-running, --step-overhead and --token-overhead to its points), with a "..._why" quoting
where the engine build documents them, and "closed_loop_warmup": false (measure a closed
loop from its start, no warm-up). --points FILE scores another points file (a copy with such
keys set, for a sensitivity check).

Throughput is "output_tokens_per_second" (all GPUs of the replica) or
"output_tokens_per_second_per_gpu" (as per-GPU tables print it; compared as that x tp).
Fixed prompt and output lengths throughout. Prints one row per point and the median |error|
of each metric. Standard library only.

    validation/serving/score.py --flopscope build/dev/flopscope
    validation/serving/score.py --flopscope build/dev/flopscope --check scores.json   # overall and per source
    validation/serving/score.py --flopscope build/dev/flopscope --markdown table.md
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


_facts = {}


def _json(binary, *args):
    out = subprocess.run([binary, *args, "--json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def trtllm_bench_settings(binary, p, kv_fraction):
    """max_batch_size and max_num_tokens as trtllm-bench picks them for a dataset of fixed
    lengths (tensorrt_llm/bench/build/tuning.py, calc_engine_setting and finetune_setting): the
    requests whose prompt and output fit kv_fraction of the memory the weights leave, capped
    at 4096, and that many requests' tokens per iteration in the prompt/output ratio, capped
    at 32768, each rounded up on its coarse grid."""
    key = (p["model"], p["hardware"], p["tp"], p["dtype"])
    if key not in _facts:
        params = _json(binary, "count", p["model"])["params"]
        memory_gib = _json(binary, "hardware", p["hardware"])["bytes_memory"] / 2**30
        kv = _json(binary, "simulate", p["model"], "--hardware", p["hardware"], "--tp", str(p["tp"]),
                   "--dtype", p["dtype"], "--prompt", "1", "--output", "1", "--rate", "inf",
                   "--requests", "1")["engine"]["bytes_kv_per_token"] * p["tp"] / 2**30
        _facts[key] = (params, memory_gib, kv)
    params, memory_gib, kv_gib_per_token = _facts[key]
    engine_gib = params * (1 if p["dtype"] == "fp8" else 2) / 2**30
    available = memory_gib * p["tp"] - engine_gib
    requests = available * kv_fraction / (kv_gib_per_token * (p["prompt"] + p["output"]))
    raw_bs = min(requests, 4096)
    raw_tokens = min(raw_bs * (1 + p["prompt"] / p["output"]), 32768)
    return (_round_up(raw_bs, ((256, 32), (1024, 128), (math.inf, 256)), 64),
            _round_up(raw_tokens, ((4096, 256), (8192, 512), (math.inf, 1024)), 2048))


def _round_up(value, grid, least):
    """value rounded up to the step of the first (below, step) band it falls under, at least
    `least` when it falls in the first band (finetune_setting's rounding)."""
    for i, (below, step) in enumerate(grid):
        if value < below:
            rounded = step * math.ceil(value / step)
            return max(least, rounded) if i == 0 else rounded
    raise ValueError(value)


# Per-source keys passed through to `simulate` as they are.
SOURCE_FLAGS = (("decode_attention", "--decode-attention"), ("software", "--software"),
                ("prefill", "--prefill"), ("max_running", "--max-running"),
                ("step_overhead", "--step-overhead"), ("token_overhead", "--token-overhead"))


def simulate(binary, p, source):
    if "concurrency" in p:  # closed loop, as genai-perf / AIPerf run it
        c = p["concurrency"]
        warm = c if source.get("closed_loop_warmup", True) else 0
        load = ["--concurrency", str(c), "--requests", str(max(4 * c, 40) + warm), "--warmup", str(warm)]
    elif "batch" in p:  # a static batch: all of it queued at once and admitted together
        load = ["--rate", "inf", "--requests", str(p["batch"]), "--max-running", str(p["batch"])]
    else:  # open loop: Poisson arrivals at "rate" per second, or every request at once ("inf")
        load = ["--rate", str(p["rate"]), "--requests", str(p["requests"])]
    cmd = [binary, "simulate", p["model"], "--hardware", p["hardware"], "--tp", str(p["tp"]),
           "--dtype", p["dtype"], "--prompt", str(p["prompt"]), "--output", str(p["output"]),
           "--seed", "1", "--json"] + load
    # TensorRT-LLM's default scheduler admits a request only when the KV of its whole prompt
    # and output fits, and never preempts (GUARANTEED_NO_EVICT; docs/serving.md); vLLM admits
    # by prompt and preempts.
    if source["engine"] == "tensorrt-llm":
        cmd.append("--reserve-output")
        # ... and gives its KV cache a share of the memory the weights and activations leave
        # (kv_cache_free_gpu_mem_fraction: 0.9 by default, or what the source states).
        cmd += ["--kv-free-fraction", str(source.get("kv_free_fraction", 0.9))]
    # trtllm-bench sizes the batch and the tokens per iteration from the dataset.
    if source.get("engine_settings") == "trtllm-bench":
        bs, tokens = trtllm_bench_settings(binary, p, source.get("kv_free_fraction", 0.95))
        cmd += ["--max-running", str(bs), "--max-batched-tokens", str(tokens)]
    # Engine settings where the source's engine release documents them (its "..._why" quotes
    # where): the decode attention kernel, launch mode, how prompts meet the decodes, the
    # running-sequence limit, and host seconds per iteration and per emitted token.
    for key, flag in SOURCE_FLAGS:
        if key in source:
            cmd += [flag, str(source[key])]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(" ".join(cmd) + ": " + out.stderr.strip())
    return json.loads(out.stdout)


def published_throughput(p):
    """Output tokens/s of the whole replica as the source gave it, or None."""
    if "output_tokens_per_second" in p:
        return p["output_tokens_per_second"]
    if "output_tokens_per_second_per_gpu" in p:
        return p["output_tokens_per_second_per_gpu"] * p["tp"]
    return None


def load_label(p):
    if "concurrency" in p:
        return f"c={p['concurrency']}"
    if "batch" in p:
        return f"b={p['batch']}"
    return "inf" if p["rate"] == "inf" else f"r={p['rate']}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flopscope", required=True, help="path to the flopscope binary")
    ap.add_argument("--check", help="scores.json: fail when a median |error| exceeds its bound")
    ap.add_argument("--markdown", help="also write the per-point table as Markdown to this file")
    ap.add_argument("--points", default=os.path.join(HERE, "points.json"),
                    help="the points file (default: points.json beside this script)")
    args = ap.parse_args()
    with open(args.points, encoding="utf-8") as f:
        doc = json.load(f)
    errs = {"throughput": [], "itl": [], "ttft": [], "e2e": []}
    by_source = {s: {k: [] for k in errs} for s in doc["sources"]}
    md = ["| # | source | model | hardware | tp | dtype | load | in/out | tok/s pub | sim | err "
          "| ITL ms pub | sim | err | TTFT ms pub | sim | err | e2e ms pub | sim | err |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    print(f"{'#':>3} {'model':15} {'hardware':13} {'tp':>2} {'load':>6} {'in/out':>11} "
          f"{'tok/s pub':>9} {'sim':>8} {'err':>7} {'ITL ms pub':>10} {'sim':>7} {'err':>7} "
          f"{'TTFT ms pub':>11} {'sim':>9} {'err':>7} {'e2e ms pub':>10} {'sim':>8} {'err':>7}")
    for n, p in enumerate(doc["points"], 1):
        r = simulate(args.flopscope, p, doc["sources"][p["source"]])
        cells = []  # (published, simulated, error) per metric, or None
        pub_t = published_throughput(p)
        if pub_t is not None:
            sim_t = r["output_tokens_per_second"]
            e_t = sim_t / pub_t - 1
            errs["throughput"].append(abs(e_t))
            by_source[p["source"]]["throughput"].append(abs(e_t))
            cells.append((pub_t, sim_t, e_t))
        else:
            cells.append(None)
        for key, name in (("itl_s", "itl_seconds"), ("ttft_s", "ttft_seconds"),
                          ("e2e_s", "e2e_seconds")):
            if key in p:
                sim = r[name]["mean"]
                e = sim / p[key] - 1
                errs[key[:-2]].append(abs(e))
                by_source[p["source"]][key[:-2]].append(abs(e))
                cells.append((p[key] * 1e3, sim * 1e3, e))
            else:
                cells.append(None)
        inout = f"{p['prompt']}/{p['output']}"
        row = (f"{n:>3} {p['model']:15} {p['hardware']:13} {p['tp']:>2} {load_label(p):>6} "
               f"{inout:>11} ")
        mdrow = (f"| {n} | {p['source']} | {p['model']} | {p['hardware']} | {p['tp']} | {p['dtype']} "
                 f"| {load_label(p)} | {inout} ")
        for c, (w1, w2, fmt) in zip(cells, ((9, 8, ".0f"), (10, 7, ".2f"), (11, 9, ".1f"),
                                            (10, 8, ".1f"))):
            if c is None:
                row += f"{'':>{w1}} {'':>{w2}} {'':>7} "
                mdrow += "| | | "
            else:
                row += f"{c[0]:>{w1}{fmt}} {c[1]:>{w2}{fmt}} {c[2]:>+7.1%} "
                mdrow += f"| {c[0]:{fmt}} | {c[1]:{fmt}} | {c[2]:+.1%} "
        print(row.rstrip())
        md.append(mdrow + "|")
    medians = {k: statistics.median(v) for k, v in errs.items() if v}
    names = {"throughput": "throughput", "itl": "ITL", "ttft": "TTFT", "e2e": "e2e"}
    summary = f"{len(doc['points'])} points; median |error|: " + ", ".join(
        f"{names[k]} {medians[k]:.1%} ({len(errs[k])})" for k in errs if k in medians)
    print("\n" + summary)
    source_medians = {s: {k: statistics.median(v) for k, v in m.items() if v} for s, m in by_source.items()}
    for s, m in source_medians.items():
        n = {k: len(v) for k, v in by_source[s].items() if v}
        print(f"  {s}: " + ", ".join(f"{k} {v:.1%} ({n[k]})" for k, v in m.items()))
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write("\n".join(md) + "\n\n" + summary + "\n")
    if args.check:
        with open(args.check, encoding="utf-8") as f:
            bounds = json.load(f)
        # {"all": {metric: bound}, "sources": {source: {metric: bound}}}; a flat {metric:
        # bound} is "all" alone.
        overall = bounds.get("all", bounds if "sources" not in bounds else {})
        bad = [k for k, v in medians.items() if k in overall and v > overall[k] + 1e-9]
        for s, limits in bounds.get("sources", {}).items():
            bad += [f"{s} {k}" for k, v in source_medians.get(s, {}).items() if k in limits and v > limits[k] + 1e-9]
        if bad:
            print("worse than recorded: " + ", ".join(bad), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
