#include "serving_flags.h"

#include <iostream>

namespace flopscope::cli {

void add_serving_flags(CLI::App& sub, api::ServingModel& m, bool& json) {
  sub.add_option("MODEL", m.model, "Catalog name, HF id, config.json, snapshot folder or .gguf")->required();
  sub.add_option("--hardware", m.hardware, "Hardware id or alias from the catalog (see flopscope hardware)")
      ->required();
  sub.add_option("--dtype", m.dtype, "Compute dtype: bf16, fp16, fp8, tf32, fp32")->capture_default_str();
  sub.add_option("--profile", m.profile, "Calibration profile (flopscope probe) replacing catalog efficiencies");
  sub.add_option("--software", m.software,
                 "How kernels are issued: eager, graphs or compiled (default eager for prefill, graphs for decode)");
  sub.add_flag("--json", json, "Print JSON (SI units)");
  sub.add_option("--tp", m.tp, "Tensor-parallel devices per replica")->capture_default_str();
  sub.add_option("--weights", m.weights, "Weight storage dtype (default: the compute dtype)");
  sub.add_option("--kv-dtype", m.kv_dtype, "KV-cache dtype (default: bf16, fp8 with --dtype fp8)");
  sub.add_option("--decode-attention", m.decode_attention,
                 "How decode attention reads a GQA model's KV cache: grouped (each KV head once per step: "
                 "flash-decoding, vLLM, SGLang, TensorRT-LLM XQA), per-head (once per query head: "
                 "TensorRT-LLM's masked MHA kernel) or trtllm-0.9 (TensorRT-LLM 0.9's choice between them)")
      ->capture_default_str();
  sub.add_option("--prompt", m.prompt, "Prompt tokens: N, uniform:LO:HI or exp:MEAN (not with --trace)");
  sub.add_option("--output", m.output, "Output tokens: N, uniform:LO:HI or exp:MEAN (not with --trace)");
  sub.add_option("--block-size", m.engine.block_size, "KV block size, tokens")->capture_default_str();
  sub.add_option("--max-running", m.engine.max_running, "Most sequences running at once (max_num_seqs)")
      ->capture_default_str();
  sub.add_option("--max-batched-tokens", m.engine.max_batched_tokens, "Most tokens in one iteration")
      ->capture_default_str();
  sub.add_option("--memory-fraction", m.engine.memory_fraction, "Share of device memory the engine may use")
      ->capture_default_str();
  sub.add_option("--kv-free-fraction", m.engine.kv_free_fraction,
                 "Give the KV cache this share of the memory left after weights and working set, as "
                 "TensorRT-LLM's kv_cache_free_gpu_mem_fraction does (replaces --memory-fraction; default: unset)");
  sub.add_option("--prefill", m.prefill,
                 "How prompts share an iteration with the decodes: chunked (split to fill the token budget; "
                 "vLLM V1, the default), whole (whole prompts beside the decodes while they fit: TensorRT-LLM "
                 "without chunked context) or first (iterations of whole prompts, decodes wait: vLLM V0)");
  sub.add_flag("--prefill-first", m.prefill_first, "The same as --prefill first");
  sub.add_flag("--reserve-output", m.engine.reserve_output,
               "Admit a request only when the KV of its prompt and output fits; never preempt "
               "(TensorRT-LLM's GUARANTEED_NO_EVICT; default: vLLM's admission by prompt, preempting)");
  sub.add_option("--step-overhead", m.engine.seconds_step_overhead,
                 "Host seconds per iteration the GPU waits for (scheduling, sampling, streaming not overlapped "
                 "with the GPU; default 0: overlapped)")
      ->capture_default_str();
  sub.add_option("--token-overhead", m.engine.seconds_token_overhead,
                 "Host seconds per token an iteration emits that the GPU waits for (output processing, "
                 "detokenizing and streaming per sequence in a Python frontend; default 0: overlapped)")
      ->capture_default_str();
  m.warn = [](const std::string& w) { std::cerr << "flopscope: warning: " << w << "\n"; };
}

}  // namespace flopscope::cli
