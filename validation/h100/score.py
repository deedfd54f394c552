#!/usr/bin/env python3
"""Predicted vs measured, per category: the README's validation table.

  python3 validation/h100/score.py [--flopscope build/dev/flopscope] [--cases] [--markdown]
                                   [--data FILE --hardware ID] [--profile FILE]
                                   [--check validation/h100/scores.json] [--write-scores]

Runs the `flopscope` CLI for every case of validation/h100/h100-calibration.json (cases.py
says which command scores which measurement) and prints n, median |error| and p90 |error|
per category, beside the K-fold cross-validated errors that fit.py recorded in
crossval.json for the categories with fitted constants.

--check FILE fails (exit 1) when a category's median or p90 is more than 0.5 percentage
points worse than FILE records: the ctest `validation_h100` runs it, so a change that
makes predictions worse fails CI. --write-scores records the current figures there.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases as C  # noqa: E402

DATA = os.path.join(C.HERE, "h100-calibration.json")
SCORES = os.path.join(C.HERE, "scores.json")
CROSSVAL = os.path.join(C.HERE, "crossval.json")
ORDER = ["gemm", "attention", "prefill", "decode", "train time", "train memory", "fp8 decode"]
FITTED = {"gemm": "ceilings, fixed cost, stream fractions", "attention": "ceilings, mask and backward-CTA costs",
          "decode": "per-kernel cost in a CUDA graph"}
TOLERANCE = 0.005


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--flopscope", default=C.default_flopscope())
    ap.add_argument("--data", default=DATA, help="a calibration file (validation/measure_calibration.py writes one)")
    ap.add_argument("--hardware", default="h100-sxm", help="catalog id the measurements were taken on")
    ap.add_argument("--profile", help="a calibration profile (flopscope probe --out) every prediction uses")
    ap.add_argument("--cases", action="store_true", help="print every case")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--check", metavar="FILE")
    ap.add_argument("--write-scores", action="store_true")
    ap.add_argument("--scores", default=SCORES, help="where --write-scores writes (default: %(default)s)")
    args = ap.parse_args()
    cases = C.load_cases(args.data, args.hardware)
    if args.profile:
        for c in cases:
            c["cmd"] = c["cmd"] + ["--profile", args.profile]
    by = {}
    for c in cases:
        p = C.predict(args.flopscope, c)
        e = p / c["measured"] - 1
        by.setdefault(c["category"], []).append(e)
        if args.cases:
            print("%-12s %-44s measured %-11.4g predicted %-11.4g %+6.1f%%%s" % (
                c["category"], c["label"], c["measured"], p, 100 * e, "  (extra)" if c.get("extra") else ""))
    cv = {}
    if os.path.exists(CROSSVAL):
        cv = json.load(open(CROSSVAL)).get("categories", {})
    result = {}
    if args.markdown:
        print("| category | n | median \\|error\\| | p90 | cross-validated median / p90 | fitted here |")
        print("|---|---:|---:|---:|---:|---|")
    for cat in ORDER + sorted(set(by) - set(ORDER)):
        if cat not in by:
            continue
        n, med, p90 = C.stats(by[cat])
        result[cat] = {"n": n, "median": round(med, 4), "p90": round(p90, 4)}
        x = cv.get(cat)
        xs = "%.1f%% / %.1f%% (%d-fold)" % (100 * x["median"], 100 * x["p90"], x["folds"]) if x else "out of sample"
        fitted = FITTED.get(cat, "nothing")
        if args.markdown:
            print("| %s | %d | %.1f%% | %.1f%% | %s | %s |" % (cat, n, 100 * med, 100 * p90, xs, fitted))
        else:
            print("%-12s n %2d  median %5.1f%%  p90 %5.1f%%  cross-validated: %s" % (cat, n, 100 * med, 100 * p90, xs))
    if args.write_scores:
        with open(args.scores, "w") as f:
            json.dump({"about": "score.py figures (fractions) the ctest validation_h100 holds the build to",
                       "categories": result}, f, indent=2)
            f.write("\n")
    if args.check:
        ref = json.load(open(args.check))["categories"]
        worse = []
        for cat, r in ref.items():
            now = result.get(cat)
            if now is None:
                worse.append("%s: no cases scored" % cat)
                continue
            for k in ("median", "p90"):
                if now[k] > r[k] + TOLERANCE:
                    worse.append("%s %s |error| %.1f%% > recorded %.1f%%" % (cat, k, 100 * now[k], 100 * r[k]))
        if worse:
            print("validation got worse:\n  " + "\n  ".join(worse), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
