#!/usr/bin/env python3
"""Writes the drift test series (tests/plan/drift_test.cc, tests/api/drift_api_test.cc).

Fixed seeds, so the files are reproducible: python3 make_series.py (in this folder).
  step.csv   120 daily rows; accuracy ~ N(0.920, 0.005) for rows 1-80, N(0.890, 0.005) from
             row 81 (0-based index 80): a drop of 6 noise widths. loss mirrors it (a rise).
  flat.csv   120 daily rows of N(0.920, 0.005): no change.
  numeric.csv  the step series with day numbers 0..119 as the time.
"""
import datetime
import random


def series(seed, step_at):
    rng = random.Random(seed)
    rows = []
    for i in range(120):
        level = 0.920 if step_at is None or i < step_at else 0.890
        acc = level + rng.gauss(0, 0.005)
        loss = 0.30 + (0.0 if step_at is None or i < step_at else 0.12) + rng.gauss(0, 0.02)
        rows.append((i, acc, loss))
    return rows


def write(path, rows, numeric=False):
    start = datetime.date(2024, 1, 1)
    with open(path, "w") as f:
        f.write("day,accuracy,loss\n" if numeric else "date,accuracy,loss\n")
        for i, acc, loss in rows:
            t = str(i) if numeric else (start + datetime.timedelta(days=i)).isoformat()
            f.write(f"{t},{acc:.4f},{loss:.4f}\n")


write("step.csv", series(7, 80))
write("flat.csv", series(11, None))
write("numeric.csv", series(7, 80), numeric=True)
