# flopscope probe, PyTorch part (docs/calibration.md, "Attention and host cost"). `flopscope
# probe` runs this file with the user's python3 when it measures a GPU, because the two
# figures below are properties of the framework a user runs, not of CUDA alone:
#
#   attention        torch.nn.functional.scaled_dot_product_attention (PyTorch's own choice of
#                    flash / cuDNN / memory-efficient kernel), bf16, q/k/v [b, h, s, d]: the
#                    forward alone, and forward + backward with the gradients set to None
#                    between calls, timed as triton.testing.do_bench times them (and with it
#                    every measurement the engine was fitted on): a 256 MiB buffer overwritten
#                    before each call, each call between its own CUDA events while the GPU
#                    stays busy, the median call.
#   host_eager       seconds of host time per CUDA kernel launched by eager PyTorch, on the ops
#                    of one decoder layer at tiny sizes (so the GPU is never the bottleneck):
#                    host time of N layers issued without synchronizing, over the kernels the
#                    profiler counts for them (counted after the timing: the profiler slows
#                    later launches).
#
# Usage: python3 torch_probe.py DEVICE [quick]. Prints one JSON object on stdout; an error is
# {"error": "..."} with exit status 0 (the caller reports it as a note). Standard library +
# torch only.
import json
import sys
import time


def main():
    try:
        import torch
        import torch.nn.functional as F
    except Exception as e:  # noqa: BLE001 - any import failure means "no PyTorch here"
        return {"error": "PyTorch is not importable (%s)" % type(e).__name__}
    if not torch.cuda.is_available():
        return {"error": "PyTorch %s sees no CUDA device" % torch.__version__}
    device = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    quick = len(sys.argv) > 2 and sys.argv[2] == "quick"
    torch.cuda.set_device(device)
    out = {"torch": torch.__version__, "device_name": torch.cuda.get_device_name(device), "attention": []}

    cache = torch.empty(256 * 2**20 // 4, dtype=torch.int32, device="cuda")

    def bench(fn, reset=()):
        """Median seconds of one call, do_bench's method: L2 overwritten before each call, an
        event pair around each, calls queued without waiting (no host latency counted)."""
        def run(n):
            pairs = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True))
                     for _ in range(n)]
            for start, end in pairs:
                for t in reset:
                    t.grad = None
                cache.zero_()
                start.record()
                fn()
                end.record()
            torch.cuda.synchronize()
            return sorted(start.elapsed_time(end) * 1e-3 for start, end in pairs)
        once = run(3)[1]  # warm-up, and a first estimate of one call
        n = max(5, min(100, int(0.05 / max(once, 1e-6))))
        times = run(n)
        return times[len(times) // 2]

    shapes = ((2, 32, 4096, 128),) if quick else (
        (8, 32, 512, 128), (4, 32, 2048, 128), (2, 32, 4096, 128), (1, 32, 8192, 128), (8, 32, 1024, 64),
        (2, 16, 4096, 64))
    for b, h, s, d in shapes:
        for causal in (False, True):
            q, k, v = (torch.randn(b, h, s, d, device="cuda", dtype=torch.bfloat16, requires_grad=True)
                       for _ in range(3))
            g = torch.randn(b, h, s, d, device="cuda", dtype=torch.bfloat16)
            fwd = bench(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal))
            both = bench(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal).backward(g), (q, k, v))
            for backward, seconds in ((False, fwd), (True, both)):
                out["attention"].append({"batch": b, "heads": h, "seq": s, "head_dim": d, "causal": causal,
                                         "backward": backward, "seconds": seconds})
            del q, k, v, g

    # Host cost per kernel: the compact decoder layer of validation/measure_calibration.py at
    # tiny sizes, with torch.no_grad as inference runs it.
    hid, nh, nkv, hd, ffn, seq = 256, 4, 2, 64, 512, 16
    w = {name: torch.randn(i, o, device="cuda", dtype=torch.bfloat16) * 0.02 for name, i, o in (
        ("qkv", hid, (nh + 2 * nkv) * hd), ("o", hid, hid), ("gu", hid, 2 * ffn), ("down", ffn, hid))}
    norm = torch.ones(hid, device="cuda", dtype=torch.bfloat16)
    kc = torch.zeros(1, nkv, seq, hd, device="cuda", dtype=torch.bfloat16)
    vc = torch.zeros_like(kc)
    x0 = torch.randn(1, seq, hid, device="cuda", dtype=torch.bfloat16)

    def layer(x):
        y = F.rms_norm(x, (hid,), norm) @ w["qkv"]
        q, k, v = y.split([nh * hd, nkv * hd, nkv * hd], -1)
        q = q.view(1, seq, nh, hd).transpose(1, 2)
        kc[:, :, :seq] = k.view(1, seq, nkv, hd).transpose(1, 2)
        vc[:, :, :seq] = v.view(1, seq, nkv, hd).transpose(1, 2)
        a = F.scaled_dot_product_attention(q, kc, vc, is_causal=True, enable_gqa=True)
        x = x + a.transpose(1, 2).reshape(1, seq, -1) @ w["o"]
        g, u = (F.rms_norm(x, (hid,), norm) @ w["gu"]).chunk(2, -1)
        return x + (F.silu(g) * u) @ w["down"]

    layers = 50 if quick else 200
    with torch.no_grad():
        from torch.profiler import ProfilerActivity, profile
        for _ in range(20):
            layer(x0)
        # Timed before the profiler ever runs: once it has, CUPTI callbacks can stay registered
        # and slow every later launch (seen here: 15 us per kernel became 18-30 us).
        best = None
        for _ in range(5):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for _ in range(layers):
                layer(x0)
            t1 = time.perf_counter()
            torch.cuda.synchronize()
            best = t1 - t0 if best is None else min(best, t1 - t0)
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            layer(x0)
            torch.cuda.synchronize()
        kernels = sum(1 for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA)
    if kernels > 0:
        out["kernels_per_layer"] = kernels
        out["seconds_host_eager"] = best / (layers * kernels)
    return out


if __name__ == "__main__":
    try:
        result = main()
    except Exception as e:  # noqa: BLE001 - reported to the caller as one line
        result = {"error": "%s: %s" % (type(e).__name__, str(e)[:200])}
    sys.stdout.write(json.dumps(result) + "\n")
