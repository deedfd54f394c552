#!/usr/bin/env python3
"""Counts the parameters transformers instantiates for every config, on the meta device.

Usage (needs torch + transformers; no GPU and no weights):
    python3 validation/params/count_reference.py tests/data/configs/*.json > counts.json

For each config it builds the reference class for its model_type (AutoModelForCausalLM for
decoders, AutoModel for encoders such as bert) under torch.device("meta") and prints
sum(p.numel() for p in model.parameters()), i.e. parameters only (buffers excluded), with
tied weights counted once (PyTorch's parameters() deduplicates shared tensors).
"""
import json
import sys

import torch
import transformers
from transformers import AutoConfig, AutoModel, AutoModelForCausalLM

ENCODERS = {"bert"}


def count(path):
    with open(path) as f:
        raw = json.load(f)
    config = AutoConfig.for_model(**raw)
    cls = AutoModel if raw["model_type"] in ENCODERS else AutoModelForCausalLM
    with torch.device("meta"):
        model = cls.from_config(config)
    total = sum(p.numel() for p in model.parameters())
    emb = sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Embedding))
    return {"total": total, "embedding": emb}


if __name__ == "__main__":
    out = {"transformers": transformers.__version__, "torch": torch.__version__, "counts": {}}
    for p in sys.argv[1:]:
        try:
            out["counts"][p.split("/")[-1]] = count(p)
        except Exception as e:  # noqa: BLE001 - one config's failure is recorded, not fatal
            out["counts"][p.split("/")[-1]] = {"error": repr(e)[:300]}
    json.dump(out, sys.stdout, indent=1)
