# Hostile input (issue 11): every case must end in one line on stderr naming the flag or
# file, the field and the limit, nothing on stdout, and exit 2: never an abort, a hang, a
# wrapped number or a clobbered file. Inputs too odd to keep as fixtures are generated here
# at configure time under the build tree. Limits: docs/limits.md.
set(hostile ${CMAKE_CURRENT_BINARY_DIR}/hostile)
file(MAKE_DIRECTORY ${hostile})

# hostile_test(NAME ERR regex ARGS ...): exit 2, stdout empty, one line on stderr.
function(hostile_test name)
  cmake_parse_arguments(T "" "ERR" "ARGS" ${ARGN})
  # Errors about a file start with its full path: match from the file name on.
  cli_test(hostile.${name} 2 ARGS ${T_ARGS} OUT_EMPTY ERR "^flopscope: ([^ ]*/)?([^ ]*: )?${T_ERR}")
  set_property(TEST cli.hostile.${name} APPEND PROPERTY LABELS hostile)
endfunction()

# A llama config.json with one key replaced by a raw JSON value.
set(llama_keys [=["model_type": "llama", "vocab_size": 32000, "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336]=])
function(hostile_config name key value)
  string(REGEX REPLACE "\"${key}\": [0-9a-z\"]+" "\"${key}\": ${value}" body "${llama_keys}")
  if(body STREQUAL llama_keys)
    set(body "${llama_keys}, \"${key}\": ${value}")
  endif()
  file(WRITE ${hostile}/${name}.json "{${body}}")
endfunction()

# --- Integer flags: plain decimal, in the quantity's range, never clamped -----------------
hostile_test(int_above_int64 ERR "--batch: expected a positive integer at most 16777216 \\(docs/limits.md\\), got 99999999999999999999\n$"
             ARGS memory gpt2 --mode train --batch 99999999999999999999)
hostile_test(gemm_batch_2e62 ERR "--batch: expected a positive integer at most 16777216"
             ARGS predict gemm --m 64 --n 64 --k 64 --batch 4611686018427387904 --hardware h100-sxm)
hostile_test(gemm_m_2e63 ERR "--m: expected a positive integer at most 4294967296"
             ARGS predict gemm --m 9223372036854775807 --n 64 --k 64 --hardware h100-sxm)
hostile_test(context_int64_max ERR "--context: expected a positive integer at most 1073741824"
             ARGS predict decode gpt2 --context 9223372036854775807 --hardware h100-sxm)
hostile_test(context_zero_not_default ERR "--context: expected a positive integer, got 0\n$"
             ARGS memory gpt2 --mode infer --context 0)
hostile_test(requests_zero_not_default ERR "--requests: expected a positive integer, got 0"
             ARGS transition gpt2 --mode infer --requests 0 --prompt 8 --output 8 --from a100-sxm-80gb --to h100-sxm)
# (An empty argument, --batch "", gets "expected an integer, got ''"; ctest cannot pass one.)
hostile_test(empty_integer ERR "--batch: 1 required INT missing\n$"
             ARGS count gpt2 --batch=)
hostile_test(hex_integer ERR "--seq: expected an integer, got '0x10'"
             ARGS count gpt2 --seq 0x10)
hostile_test(float_for_integer ERR "--m: expected an integer, got '1e3'"
             ARGS predict gemm --m 1e3 --n 64 --k 64 --hardware h100-sxm)
hostile_test(negative_seq ERR "--seq: expected a positive integer, got -1\n$"
             ARGS memory gpt2 --mode train --seq -1)
hostile_test(negative_gpus ERR "--gpus: expected a positive integer, got -8"
             ARGS mfu gpt2 --tokens-per-second 1e5 --gpus -8 --seq 1024 --hardware h100-sxm)
hostile_test(bootstrap_1e9 ERR "--bootstrap: expected a non-negative integer at most 10000"
             ARGS fit ${data}/scaling/runs_small.csv --bootstrap 1000000000)
hostile_test(top_negative ERR "--top: expected a non-negative integer, got -1"
             ARGS predict prefill gpt2 --prompt 8 --hardware h100-sxm --top -1)
hostile_test(heads_huge ERR "--heads: expected a positive integer at most 65536"
             ARGS predict attention --heads 99999999999 --seq 8 --head-dim 64 --hardware h100-sxm)
cli_test(hostile.leading_zeros_are_decimal 0 ARGS count gpt2 --batch 010 --seq 8 --json OUT "\"batch\": 10," NO_ERR)

# --- Float flags: finite, in range, an explicit value never swapped for a default ---------
hostile_test(overhead_nan ERR "--overhead-gib: expected a number in .0, 1000000. \\(docs/limits.md\\), got nan\n$"
             ARGS memory gpt2 --mode infer --overhead-gib nan)
hostile_test(flops_inf ERR "--flops: expected a number in \\(0, 1e\\+40."
             ARGS optimal --flops inf)
hostile_test(flops_hex_float ERR "--flops: expected a number, got '0x1p80'"
             ARGS optimal --flops 0x1p80)
hostile_test(flops_empty ERR "--flops: 1 required FLOAT missing\n$"
             ARGS optimal --flops=)
hostile_test(mfu_zero_not_default ERR "--mfu: expected a number in \\(0, 1."
             ARGS optimal --flops 1e23 --hardware h100-sxm --mfu 0)
hostile_test(mfu_nan ERR "--mfu: expected a number in \\(0, 1."
             ARGS optimal --flops 1e23 --hardware h100-sxm --mfu nan)
hostile_test(price_negative ERR "--price: expected a number in \\(0, 1000000."
             ARGS optimal --flops 1e23 --hardware h100-sxm --price -1)
hostile_test(tokens_negative ERR "--tokens: expected a number in \\(0, 1e\\+16."
             ARGS overtrain llama-3.1-8b --tokens -1)
hostile_test(tokens_per_second_negative ERR "--tokens-per-second: expected a number in \\(0, 1e\\+15."
             ARGS mfu gpt2 --tokens-per-second -5 --seq 1024 --hardware h100-sxm)
hostile_test(weight_inf ERR "--weight-time: expected a number in .0, 100."
             ARGS transition gpt2 --mode train --tokens 1e9 --from a100-sxm-80gb --to h100-sxm --weight-time inf)
hostile_test(underflow ERR "--gpu-hours: expected a number in \\(0, 1000000000000."
             ARGS optimal --gpu-hours 1e-400 --hardware h100-sxm)

# --- fit: the law id is checked before any work; a UTF-8 BOM is not part of a column name --
hostile_test(fit_bad_id ERR "--id: expected 1 to 64 letters, digits, '.', '_' or '-', got 'a b'\n$"
             ARGS fit ${data}/scaling/runs_small.csv --bootstrap 0 --id "a b")
file(READ ${data}/scaling/runs_small.csv runs_small)
string(ASCII 239 187 191 bom)
file(WRITE ${hostile}/runs_bom.csv "${bom}${runs_small}")
cli_test(hostile.csv_bom_header 0 ARGS fit ${hostile}/runs_bom.csv --bootstrap 0 --json OUT "\"runs\"" NO_ERR)

string(REPEAT "7.0e7,1.0e9,3.9312\n" 100001 many_rows)
file(WRITE ${hostile}/runs_100001_rows.csv "N,D,loss\n${many_rows}")
hostile_test(csv_too_many_rows ERR "runs_100001_rows.csv:100002: expected at most 100000 rows \\(docs/limits.md\\)\n$"
             ARGS fit ${hostile}/runs_100001_rows.csv --bootstrap 0)

string(REPEAT "7.0e7,1.0e9,3.9312\n" 5000 rows_5000)
file(WRITE ${hostile}/runs_5000_rows.csv "N,D,loss\n${rows_5000}")
hostile_test(fit_work_bounded ERR "--bootstrap: expected at most 1e\\+07 runs x \\(resamples \\+ 1\\) \\(docs/limits.md\\), got 5000 runs x 10001 = 5e\\+07\n$"
             ARGS fit ${hostile}/runs_5000_rows.csv --bootstrap 10000)

# --- Invalid combinations are refused, not ignored ---------------------------------------
hostile_test(tp_not_divisor ERR "--tp: expected a divisor of the model's 32 attention heads, got 7\n$"
             ARGS memory llama-3.1-8b --mode infer --tp 7)
hostile_test(onnx_flag_on_catalog_model ERR "--dim: binds symbolic dimensions of an ONNX graph, not of 'gpt2'"
             ARGS count gpt2 --dim batch=1)
hostile_test(memory_tokens_per_step ERR "--batch x --seq: expected at most 1e12 tokens per step, got 1.8e\\+16\n$"
             ARGS memory gpt2 --mode train --batch 16777216 --seq 1073741824)
hostile_test(decode_cached_tokens ERR "--batch x --context: expected at most 1e12 cached tokens per step, got 1.8e\\+16\n$"
             ARGS predict decode gpt2 --batch 16777216 --context 1073741824 --hardware h100-sxm)
# Each GEMM dimension within its range, the product beyond int64 (tiles and waves wrapped).
hostile_test(gemm_product ERR "--batch x --m x --n x --k: expected at most 4.6e18 multiply-adds, got 7.74e\\+25\n$"
             ARGS predict gemm --m 4294967296 --n 4294967296 --k 4096 --batch 1024 --hardware h100-sxm)
# Attention bytes came out as 0.0 for a shape whose element count wraps.
hostile_test(attention_product ERR "--batch x --heads x --seq x --kv-len x --head-dim: expected at most 4.6e18 multiply-adds"
             ARGS predict attention --heads 65536 --seq 1073741824 --head-dim 65536 --hardware h100-sxm)

# --- config.json: depth, number range, per-key limits, parameter estimate ---------------
string(REPEAT "[" 100000 deep)
file(WRITE ${hostile}/nested_100k.json "{\"model_type\": \"llama\", \"hidden_size\": ${deep}}")
hostile_test(config_nested_100k ERR "nested_100k.json: expected JSON nested at most 128 levels deep \\(docs/limits.md\\), got deeper at byte"
             ARGS count ${hostile}/nested_100k.json)
string(REPEAT "9" 400 nines)
hostile_config(number_400_digits hidden_size ${nines})
hostile_test(config_number_400_digits ERR "number_400_digits.json: expected numbers within a double's range"
             ARGS count ${hostile}/number_400_digits.json --json)
hostile_config(float_1e999 vocab_size 1e999)
hostile_test(config_float_1e999 ERR "float_1e999.json: expected numbers within a double's range"
             ARGS count ${hostile}/float_1e999.json)
hostile_config(layers_2e31 num_hidden_layers 2147483648)
hostile_test(config_layers_2e31 ERR "layers_2e31.json: num_hidden_layers: expected at most 65536 \\(docs/limits.md\\), got 2147483648\n$"
             ARGS count ${hostile}/layers_2e31.json)
hostile_config(layers_int64_max num_hidden_layers 9223372036854775807)
hostile_test(config_layers_int64_max ERR "num_hidden_layers: expected at most 65536"
             ARGS memory ${hostile}/layers_int64_max.json --mode train)
hostile_config(layers_1e9 num_hidden_layers 1000000000)
hostile_test(config_layers_1e9 ERR "num_hidden_layers: expected at most 65536"
             ARGS predict train ${hostile}/layers_1e9.json --seq 8 --hardware h100-sxm)
hostile_config(head_dim_2e40 head_dim 1099511627776)
hostile_test(config_head_dim_2e40 ERR "head_dim: expected at most 65536 \\(docs/limits.md\\), got 1099511627776"
             ARGS count ${hostile}/head_dim_2e40.json)
hostile_config(hidden_2e40 hidden_size 1099511627776)
hostile_test(config_hidden_2e40 ERR "hidden_size: expected at most 1048576"
             ARGS count ${hostile}/hidden_2e40.json --json)
hostile_config(intermediate_int64_max intermediate_size 9223372036854775807)
hostile_test(config_intermediate_int64_max ERR "intermediate_size: expected at most 1048576"
             ARGS count ${hostile}/intermediate_int64_max.json)
hostile_config(vocab_uint64_max vocab_size 18446744073709551615)
hostile_test(config_vocab_uint64_max ERR "vocab_size: expected at most 16777216 \\(docs/limits.md\\), got 18446744073709551615"
             ARGS count ${hostile}/vocab_uint64_max.json)
hostile_config(vocab_float_huge vocab_size 1e300)
hostile_test(config_vocab_float_huge ERR "vocab_size: expected at most 16777216"
             ARGS count ${hostile}/vocab_float_huge.json)
string(REPLACE "\"llama\"" "\"mistral\"" mistral_keys "${llama_keys}")
file(WRITE ${hostile}/window_huge.json "{${mistral_keys}, \"sliding_window\": 1152921504606846976}")
hostile_test(config_other_key_huge ERR "sliding_window: expected at most 1073741824"
             ARGS count ${hostile}/window_huge.json)
file(WRITE ${hostile}/experts_2e40.json [=[{"model_type": "mixtral", "vocab_size": 32000, "hidden_size": 4096, "num_hidden_layers": 32,
  "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336, "num_local_experts": 1099511627776,
  "num_experts_per_tok": 2}]=])
hostile_test(config_experts_2e40 ERR "num_local_experts: expected at most 65536"
             ARGS count ${hostile}/experts_2e40.json)
# Each size within its own limit, the product far beyond any model: the estimate refuses it.
file(WRITE ${hostile}/all_at_limits.json [=[{"model_type": "mixtral", "vocab_size": 16777216, "hidden_size": 1048576,
  "num_hidden_layers": 65536, "num_attention_heads": 65536, "num_key_value_heads": 65536, "head_dim": 65536,
  "intermediate_size": 1048576, "num_local_experts": 65536, "num_experts_per_tok": 65536}]=])
hostile_test(config_product_beyond_params ERR "all_at_limits.json: parameters: expected at most 1e\\+15 \\(docs/limits.md\\), got about"
             ARGS count ${hostile}/all_at_limits.json --json)
file(WRITE ${hostile}/control_chars.json "{\"model_type\": \"ll\\u001b[2Jama\\nsecond line\"}")
hostile_test(config_control_chars_one_line ERR "control_chars.json: model_type: expected one of .*got 'll\\\\x1b.2Jama\\\\nsecond line'"
             ARGS count ${hostile}/control_chars.json)

string(REPEAT "0," 2500000 zeros)
file(WRITE ${hostile}/unused_5mb_array.json "{${llama_keys}, \"unused\": [${zeros}0]}")
hostile_test(config_larger_than_limit ERR "unused_5mb_array.json: file larger than 4194304 bytes, refusing to read it whole\n$"
             ARGS count ${hostile}/unused_5mb_array.json)
# A frontier CSV whose model column holds 100k '[': a path too long, not a crash.
file(WRITE ${hostile}/frontier_brackets.csv "model,quality,tokens\n${deep},0.5,1e9\n")
hostile_test(frontier_model_100k_brackets ERR "frontier_brackets.csv:2: "
             ARGS frontier ${hostile}/frontier_brackets.csv)

# --- safetensors and index JSON ----------------------------------------------------------
# (Binary headers are built in tests/model/hostile_input_test.cc; here the index JSON.)
file(MAKE_DIRECTORY ${hostile}/st_nested_index)
file(WRITE ${hostile}/st_nested_index/model.safetensors.index.json "{\"weight_map\": ${deep}}")
hostile_test(safetensors_index_nested_100k ERR "model.safetensors.index.json: expected JSON nested at most 128 levels deep"
             ARGS count ${hostile}/st_nested_index)
# A shard that is a directory: no "9223372036854775807 bytes".
file(MAKE_DIRECTORY ${hostile}/st_dir_shard/model-00001-of-00001.safetensors)
file(WRITE ${hostile}/st_dir_shard/model.safetensors.index.json
     [=[{"weight_map": {"w": "model-00001-of-00001.safetensors"}}]=])
hostile_test(safetensors_shard_is_directory ERR "model-00001-of-00001.safetensors: expected a regular file, got a directory or device\n$"
             ARGS count ${hostile}/st_dir_shard)

# --- paths -------------------------------------------------------------------------------
file(CREATE_LINK ${hostile}/loop_b.json ${hostile}/loop_a.json SYMBOLIC)
file(CREATE_LINK ${hostile}/loop_a.json ${hostile}/loop_b.json SYMBOLIC)
hostile_test(symlink_loop ERR "loop_a.json: cannot open: Too many levels of symbolic links\n$"
             ARGS count ${hostile}/loop_a.json)

# A path that is not valid UTF-8 under --json: U+FFFD in the output, not an abort (type_error.316).
string(ASCII 255 byte_ff)
file(WRITE "${hostile}/name_${byte_ff}.json" "{${llama_keys}}")
string(ASCII 239 191 189 replacement)  # U+FFFD
cli_test(hostile.invalid_utf8_path_json 0 ARGS count "${hostile}/name_${byte_ff}.json" --json
         OUT "\"source\": \"[^\"]*name_${replacement}.json\"" NO_ERR)

# --- output files: only a new or regular file is replaced --------------------------------
file(WRITE ${hostile}/svg_target.txt "keep me")
file(CREATE_LINK ${hostile}/svg_target.txt ${hostile}/svg_link.svg SYMBOLIC)
hostile_test(svg_over_symlink ERR "svg_link.svg: expected a regular file to replace or a new file, got a symbolic link"
             ARGS optimal --flops 1e23 --law hoffmann-3 --svg ${hostile}/svg_link.svg)
hostile_test(svg_over_directory ERR "expected a regular file to replace or a new file, got a directory"
             ARGS optimal --flops 1e23 --law hoffmann-3 --svg ${hostile})
hostile_test(svg_over_device ERR "/dev/null: expected a regular file to replace or a new file, got a character device"
             ARGS rank llama-3.2-1b --mode train --tokens 1e9 --svg /dev/null)
hostile_test(fit_out_over_symlink ERR "svg_link.svg: expected a regular file to replace or a new file, got a symbolic link"
             ARGS fit ${data}/scaling/runs_small.csv --bootstrap 0 --out ${hostile}/svg_link.svg)
