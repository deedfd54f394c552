"""The Python module (import flopscope) against the CLI: same documents, same error lines.

Run by ctest (`python`) with PYTHONPATH=<build>/python, FLOPSCOPE_CLI=<build>/flopscope and
FLOPSCOPE_TEST_DATA=tests/data.
"""
import json
import os
import subprocess

import pytest

import flopscope

CLI = os.environ.get("FLOPSCOPE_CLI", "flopscope")
DATA = os.environ.get("FLOPSCOPE_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data"))
QWEN = os.path.join(DATA, "configs", "Qwen__Qwen2.5-7B.json")


def cli(*args):
    p = subprocess.run([CLI, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def cli_json(*args):
    code, out, err = cli(*args, "--json")
    assert code == 0, err
    return json.loads(out)


# (python function, positional model or None, keyword options, the same as CLI arguments)
CASES = [
    ("count", "llama-3.1-8b", {}, ["count", "llama-3.1-8b"]),
    ("count", "mixtral-8x7b", {"batch": 4, "seq": 512, "tp": 2, "ep": 2},
     ["count", "mixtral-8x7b", "--batch", "4", "--seq", "512", "--tp", "2", "--ep", "2"]),
    ("count", QWEN, {"seq": 4096}, ["count", QWEN, "--seq", "4096"]),
    ("count", os.path.join(DATA, "onnx", "resnet50.onnx"), {"hardware": "h100-sxm"},
     ["count", os.path.join(DATA, "onnx", "resnet50.onnx"), "--hardware", "h100-sxm"]),
    ("predict_decode", "llama-3.1-8b", {"hardware": "h100-sxm", "batch": 8, "context": 2048},
     ["predict", "decode", "llama-3.1-8b", "--hardware", "h100-sxm", "--batch", "8", "--context", "2048"]),
    ("predict_train", "llama-3.2-1b", {"hardware": "h100-sxm", "micro_batch": 4, "seq": 2048, "recompute": "full"},
     ["predict", "train", "llama-3.2-1b", "--hardware", "h100-sxm", "--micro-batch", "4", "--seq", "2048",
      "--recompute", "full"]),
    ("predict_gemm", None, {"m": 4096, "n": 4096, "k": 4096, "hardware": "h200", "dtype": "fp8"},
     ["predict", "gemm", "--m", "4096", "--n", "4096", "--k", "4096", "--hardware", "h200", "--dtype", "fp8"]),
    ("memory", "llama-3.1-70b", {"mode": "train", "batch": 1, "seq": 4096},
     ["memory", "llama-3.1-70b", "--mode", "train", "--batch", "1", "--seq", "4096"]),
    ("optimal", None, {"flops": 1e22, "hardware": "h100-sxm"},
     ["optimal", "--flops", "1e22", "--hardware", "h100-sxm"]),
]

ERRORS = [
    ("count", "llama-3.1-8b", {"batch": 0}, ["count", "llama-3.1-8b", "--batch", "0"]),
    ("predict_decode", "llama-3.1-8b", {"hardware": "h100x", "batch": 8, "context": 2048},
     ["predict", "decode", "llama-3.1-8b", "--hardware", "h100x", "--batch", "8", "--context", "2048"]),
    ("count", "no-such-model", {}, ["count", "no-such-model"]),
]


@pytest.mark.parametrize("name,model,options,args", CASES, ids=[" ".join(c[3][:2]) for c in CASES])
def test_results_equal_the_cli_json(name, model, options, args):
    assert getattr(flopscope, name)(model, **options) == cli_json(*args)


@pytest.mark.parametrize("name,model,options,args", ERRORS, ids=[" ".join(c[3]) for c in ERRORS])
def test_bad_input_raises_input_error_with_the_cli_line(name, model, options, args):
    code, _, err = cli(*args, "--json")
    assert code == 2
    with pytest.raises(flopscope.InputError) as e:
        getattr(flopscope, name)(model, **options)
    assert err == "flopscope: %s\n" % e.value


def test_every_command_is_a_function():
    names = flopscope.commands()
    assert "count" in names
    for name, (command, summary) in names.items():
        assert callable(getattr(flopscope, name)), command
        assert summary


def test_a_config_dict_counts_as_its_file():
    with open(QWEN) as f:
        config = json.load(f)
    by_dict, by_path = flopscope.count(config), flopscope.count(QWEN)
    for key in ("params", "params_active", "flops_forward", "flops_train_step_model", "flops_decode_per_token"):
        assert by_dict[key] == by_path[key], key


class FakeConfig:
    """What transformers' PretrainedConfig offers flopscope: to_dict()."""

    def __init__(self, d):
        self._d = d

    def to_dict(self):
        return dict(self._d, torch_dtype=FakeDtype())


class FakeDtype:
    def __str__(self):
        return "torch.bfloat16"


class FakeModel:
    def __init__(self, config):
        self.config = config


def test_transformers_configs_and_models_are_taken_through_their_config():
    with open(QWEN) as f:
        config = json.load(f)
    expected = flopscope.count(config)["params"]
    assert flopscope.count(FakeConfig(config))["params"] == expected
    assert flopscope.count(FakeModel(FakeConfig(config)))["params"] == expected
    with pytest.raises(flopscope.InputError, match="model: expected"):
        flopscope.count(object())


def test_wrong_types_and_unknown_options_are_input_errors():
    with pytest.raises(flopscope.InputError, match=r"^count: batch: expected an integer, got string \"8\"$"):
        flopscope.count("llama-3.1-8b", batch="8")
    with pytest.raises(flopscope.InputError, match=r"^count: unknown option 'batc', did you mean 'batch'\?$"):
        flopscope.count("llama-3.1-8b", batc=8)
    with pytest.raises(flopscope.InputError, match="options"):
        flopscope.count("llama-3.1-8b", batch=float("nan"))
    with pytest.raises(flopscope.InputError, match="unknown command"):
        flopscope.call("cuont")
    assert issubclass(flopscope.InputError, ValueError)
    assert issubclass(flopscope.InputError, flopscope.FlopscopeError)


def test_hostile_input_never_crashes_the_interpreter():
    for bad in [{"batch": 2**63}, {"batch": -(2**63) - 1}, {"seq": [1] * 10}, {"model": {"model_type": "llama"}},
                {"dim": [None]}, {"tp": True}]:
        options = dict({"model": "llama-3.1-8b"}, **bad)
        with pytest.raises(flopscope.InputError):
            flopscope.call("count", **options)
    with pytest.raises(flopscope.InputError):
        flopscope.count({"model_type": "llama", "hidden_size": -1})


def test_training_log_measures_mfu_against_the_prediction_and_writes_the_ledger_jsonl(tmp_path):
    path = tmp_path / "progress.jsonl"
    log = flopscope.TrainingLog("llama-3.2-1b", "h100-sxm", micro_batch=2, seq=1024, path=str(path), job="ft")
    predicted = log.seconds_predicted
    assert predicted > 0 and 0 < log.prediction["mfu"] < 1
    for s in (10 * predicted, 2 * predicted, 2 * predicted, 2 * predicted):  # a slow warm-up step first
        log.record(s)
    summary = log.summary()
    assert summary["steps"] == 3
    assert summary["measured_over_predicted"] == pytest.approx(2.0)
    assert summary["mfu_measured"] == pytest.approx(log.prediction["mfu"] / 2)
    assert summary["tokens_per_second_measured"] == pytest.approx(2 * 1024 / (2 * predicted))
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert lines[0] == {"job": "ft", "model": "llama-3.2-1b", "hardware": "h100-sxm", "gpus": 1, "micro_batch": 2,
                        "seq": 1024, "dtype": "bf16"}
    assert [x["step"] for x in lines[1:]] == [1, 2, 3, 4]
    assert all(x["tokens"] == 2048 for x in lines[1:])
    # The ledger takes the file as it is.
    code, out, err = cli("ledger", "import", "--db", str(tmp_path / "l.db"), str(path))
    assert code == 0, err
    with pytest.raises(flopscope.InputError):
        log.record(0)


def test_step_times_a_block(tmp_path):
    log = flopscope.TrainingLog("llama-3.2-1b", "h100-sxm", micro_batch=1, seq=512)
    with log.step():
        pass
    assert len(log.seconds) == 1 and log.seconds[0] >= 0
