#!/usr/bin/env python3
"""Predictions against a probe's own measurements: every [[gemm]] and [[attention]] sample of a
calibration profile (`flopscope probe --out FILE`) predicted by `flopscope predict gemm` /
`predict attention` from the catalog alone (what a user gets before probing), and with the
profile itself (`--profile`: what the probe changed). Prints each sample and the median / p90
|error| per kind.

  python3 validation/probe_compare.py validation/h200/h200.profile.toml [--hardware h200]
                                      [--flopscope build/dev/flopscope] [--cases]

The hardware defaults to the profile's [device] hardware_id. Standard library only (3.11+).
"""
import argparse
import json
import os
import subprocess
import sys
import tomllib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "h100"))
import cases as C  # noqa: E402


def samples(profile, hardware):
    out = []
    for g in profile.get("gemm", []):
        out.append({"kind": "gemm " + g["dtype"], "label": "%s %dx%dx%d" % (g["dtype"], g["m"], g["n"], g["k"]),
                    "cmd": ["predict", "gemm", "--m", str(g["m"]), "--n", str(g["n"]), "--k", str(g["k"]),
                            "--dtype", g["dtype"], "--hardware", hardware],
                    "measured": g["seconds"]})
    for a in profile.get("attention", []):
        cmd = ["predict", "attention", "--batch", str(a["batch"]), "--heads", str(a["heads"]), "--seq", str(a["seq"]),
               "--head-dim", str(a["head_dim"]), "--hardware", hardware]
        cmd += (["--causal"] if a.get("causal") else []) + (["--backward"] if a.get("backward") else [])
        out.append({"kind": "attention " + ("fwd+bwd" if a.get("backward") else "fwd"),
                    "label": "b%d h%d s%d d%d%s%s" % (a["batch"], a["heads"], a["seq"], a["head_dim"],
                                                     " causal" if a.get("causal") else "",
                                                     " fwd+bwd" if a.get("backward") else " fwd"),
                    "cmd": cmd, "measured": a["seconds"]})
    return out


def predict(flopscope, cmd):
    r = subprocess.run([flopscope] + cmd + ["--json"], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return float(json.loads(r.stdout)["seconds"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("profile")
    ap.add_argument("--hardware", help="catalog id (default: the profile's hardware_id)")
    ap.add_argument("--flopscope", default=C.default_flopscope())
    ap.add_argument("--cases", action="store_true", help="print every sample")
    args = ap.parse_args()
    with open(args.profile, "rb") as f:
        profile = tomllib.load(f)
    hardware = args.hardware or profile.get("device", {}).get("hardware_id", "")
    if not hardware:
        print("probe_compare: %s: device.hardware_id is empty; pass --hardware ID" % args.profile, file=sys.stderr)
        return 2
    by = {}
    for s in samples(profile, hardware):
        catalog = predict(args.flopscope, s["cmd"])
        probed = predict(args.flopscope, s["cmd"] + ["--profile", args.profile])
        e0, e1 = catalog / s["measured"] - 1, probed / s["measured"] - 1
        by.setdefault(s["kind"], ([], []))
        by[s["kind"]][0].append(e0)
        by[s["kind"]][1].append(e1)
        if args.cases:
            print("%-18s %-28s measured %-10.4g catalog %+6.1f%%  with profile %+6.1f%%" % (
                s["kind"], s["label"], s["measured"], 100 * e0, 100 * e1))
    print("%-18s %4s  %-22s  %-22s" % ("kind", "n", "catalog: median / p90", "with profile: median / p90"))
    for kind in sorted(by):
        n, m0, p0 = C.stats(by[kind][0])
        _, m1, p1 = C.stats(by[kind][1])
        print("%-18s %4d  %5.1f%% / %5.1f%%        %5.1f%% / %5.1f%%" % (kind, n, 100 * m0, 100 * p0, 100 * m1, 100 * p1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
