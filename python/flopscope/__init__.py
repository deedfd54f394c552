"""flopscope from Python: how big, how fast, how much, and where.

Every command of the `flopscope` CLI is a function here, computed by the same library (the
compiled module _flopscope) and returning the same document `flopscope <command> --json`
prints, as plain dicts and lists:

    >>> import flopscope
    >>> flopscope.count("llama-3.1-8b")["params"]
    8030261248
    >>> flopscope.predict_decode("llama-3.1-8b", batch=8, context=2048, hardware="h100-sxm")["seconds"]

Options are the CLI's long flags with '-' as '_' (--micro-batch -> micro_batch); MODEL is the
first argument: a catalog name, HF id or path, a config dict (what
transformers.AutoConfig.to_dict() returns), a transformers config object or a model that has
one (its .config). Bad input raises InputError with the CLI's one-line message; any other
failure raises FlopscopeError. docs/python.md walks through it.
"""
import json as _json
import statistics as _statistics
import time as _time

from . import _flopscope

__version__ = _flopscope.__version__
__all__ = ["FlopscopeError", "InputError", "call", "commands", "model_config", "TrainingLog"]


class FlopscopeError(RuntimeError):
    """A command failed (exit status 1 in the CLI)."""


class InputError(FlopscopeError, ValueError):
    """Bad input: a wrong option, an unknown model or hardware, a file that cannot be read
    (exit status 2 in the CLI). The message is the line the CLI prints after 'flopscope: '."""


def model_config(model):
    """What the library takes as MODEL: a str (catalog name, HF id, path) as is; a dict as a
    config.json; a transformers config (anything with .to_dict()); a model that has a config
    (a transformers PreTrainedModel, or a torch.nn.Module given a .config)."""
    if model is None or isinstance(model, (str, dict)):
        return model
    if hasattr(model, "to_dict") and callable(model.to_dict):
        return _plain(model.to_dict())
    config = getattr(model, "config", None)
    if config is not None:
        return model_config(config)
    raise InputError("model: expected a name or path, a config dict, a transformers config or a model with a "
                     ".config, got %s" % type(model).__name__)


def _plain(value):
    """A config dict as JSON can hold it: torch dtypes and other objects become strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value).replace("torch.", "")


def call(command, model=None, **options):
    """Runs `command` ("count", "predict/decode", ...) with the CLI's options and returns its
    document (a dict)."""
    if model is not None:
        options["model"] = model_config(model)
    try:
        text = _json.dumps(options, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise InputError("%s: options: %s" % (command, e)) from None
    status, payload = _flopscope.call(command, text)
    if status == _flopscope.OK:
        return _json.loads(payload)
    if status in (_flopscope.BAD_INPUT, _flopscope.NOT_FOUND):
        raise InputError(payload)
    raise FlopscopeError(payload)


def commands():
    """{python name: (command, summary)} for every command the library serves."""
    return {name.replace("/", "_").replace("-", "_"): (name, summary) for name, summary in _flopscope.endpoints()}


def _command_function(name, command, summary):
    def run(model=None, **options):
        return call(command, model, **options)

    run.__name__ = run.__qualname__ = name
    run.__doc__ = "%s\n\nSame as `flopscope %s ... --json`; options are its flags ('-' as '_')." % (
        summary, command.replace("/", " "))
    return run


for _name, (_command, _summary) in commands().items():
    globals()[_name] = _command_function(_name, _command, _summary)
    __all__.append(_name)


class TrainingLog:
    """Measured training steps against flopscope's prediction for the same layout.

        log = flopscope.TrainingLog("llama-3.1-8b", hardware="h100-sxm", micro_batch=1, seq=4096,
                                    path="progress.jsonl", job="llama-8b-ft")
        for batch in loader:
            with log.step():
                train_step(batch)
        print(log.summary())   # realized MFU vs predicted

    `path` (optional) receives the ledger's progress JSONL (docs/ledger.md): a header line
    (job, model, hardware, gpus, micro_batch, seq, dtype), then one line per step with the
    tokens and seconds since the previous one, which `flopscope ledger import` reads.
    Extra keyword options go to predict_train (e.g. recompute="full", tp=2 with gpus=8).
    """

    def __init__(self, model, hardware, *, gpus=1, micro_batch=1, seq=2048, dtype="bf16", job=None, path=None,
                 tokens_per_step=None, **predict_options):
        self.model = model_config(model)
        self.hardware, self.gpus, self.micro_batch, self.seq, self.dtype = hardware, gpus, micro_batch, seq, dtype
        options = dict(predict_options, hardware=hardware, micro_batch=micro_batch, seq=seq, dtype=dtype)
        if gpus > 1:
            options.setdefault("gpus", gpus)
            options.setdefault("global_batch", micro_batch * gpus)
        self.prediction = call("predict/train", self.model, **options)
        global_batch = options.get("global_batch", micro_batch)
        self.tokens_per_step = tokens_per_step or global_batch * seq
        self.seconds = []
        self._path = path
        self._step = 0
        if path is not None:
            name = self.model if isinstance(self.model, str) else self.model.get("_name_or_path", "config")
            header = {"job": job or str(name), "model": name, "hardware": hardware, "gpus": gpus,
                      "micro_batch": micro_batch, "seq": seq, "dtype": dtype}
            with open(path, "w") as f:
                f.write(_json.dumps(header) + "\n")

    @property
    def seconds_predicted(self):
        """Predicted seconds per step (the prediction's seconds_per_step)."""
        return float(self.prediction["seconds_per_step"])

    def record(self, seconds, tokens=None):
        """Adds one measured step of `seconds` (wall time) that processed `tokens` (default: the
        layout's tokens per step)."""
        if not (seconds > 0):
            raise InputError("seconds: expected a positive step time, got %r" % (seconds,))
        self._step += 1
        self.seconds.append(float(seconds))
        if self._path is not None:
            line = {"step": self._step, "tokens": int(tokens if tokens is not None else self.tokens_per_step),
                    "seconds": float(seconds)}
            with open(self._path, "a") as f:
                f.write(_json.dumps(line) + "\n")

    def step(self, tokens=None):
        """A context manager that times one step (time.perf_counter) and records it. Time on a
        GPU only counts work the device finished: synchronize (torch.cuda.synchronize()) at the
        end of the step, as a real training loop does when it reads the loss."""
        log = self

        class _Timed:
            def __enter__(self):
                self.start = _time.perf_counter()
                return self

            def __exit__(self, kind, value, tb):
                if kind is None:
                    log.record(_time.perf_counter() - self.start, tokens)
                return False

        return _Timed()

    def summary(self, skip=1):
        """Realized vs predicted, from the median step after the first `skip` (warm-up) ones:
        seconds per step, tokens/s, MFU (model FLOPs / peak, as the prediction counts them)."""
        steps = self.seconds[skip:] if len(self.seconds) > skip else self.seconds
        if not steps:
            raise FlopscopeError("no steps recorded")
        measured = _statistics.median(steps)
        predicted = self.seconds_predicted
        mfu_predicted = float(self.prediction["mfu"])
        return {"steps": len(steps), "seconds_per_step_measured": measured, "seconds_per_step_predicted": predicted,
                "tokens_per_second_measured": self.tokens_per_step / measured,
                "mfu_predicted": mfu_predicted, "mfu_measured": mfu_predicted * predicted / measured,
                "measured_over_predicted": measured / predicted}
