#!/usr/bin/env python3
"""Writes the docs/drift.md walkthrough's example files (synthetic, fixed seed).

drift_quality.csv: a year of daily accuracy and calibration error (ECE) of a production
classifier, measured on the day's labelled sample. Accuracy sits near 0.912; the input
distribution shifts on 2024-04-05 (accuracy 0.897 until a retrain deployed 2024-04-22),
again on 2024-08-08 (0.894 until 2024-08-29), and on 2024-11-25 (0.899 to the end).
drift_psi.csv: the model score's distribution in 5 bins per month, training data as the
reference, counts of 2,000 scored requests per month.
"""
import datetime
import random

rng = random.Random(20240101)
start = datetime.date(2024, 1, 1)
shifts = [(95, 112, 0.897), (220, 241, 0.894), (329, 366, 0.899)]
with open("drift_quality.csv", "w") as f:
    f.write("date,accuracy,ece\n")
    for i in range(366):
        level = 0.912
        for a, b, low in shifts:
            if a <= i < b:
                level = low
        acc = level + rng.gauss(0, 0.004)
        ece = 0.020 + (0.912 - level) * 1.5 + rng.gauss(0, 0.003)
        f.write(f"{(start + datetime.timedelta(days=i)).isoformat()},{acc:.4f},{max(ece, 0):.4f}\n")

reference = [0.10, 0.20, 0.40, 0.20, 0.10]
with open("drift_psi.csv", "w") as f:
    f.write("month,bin,reference,current\n")
    for m in range(1, 13):
        day = datetime.date(2024, m, 1)
        i = (day - start).days
        shifted = any(a <= i + 15 < b for a, b, _ in shifts)
        share = [0.24, 0.28, 0.28, 0.13, 0.07] if shifted else reference
        counts = [0] * 5
        for _ in range(2000):
            r = rng.random()
            acc = 0
            for k, s in enumerate(share):
                acc += s
                if r < acc:
                    counts[k] += 1
                    break
            else:
                counts[-1] += 1
        for k, name in enumerate(["0.0-0.2", "0.2-0.4", "0.4-0.6", "0.6-0.8", "0.8-1.0"]):
            f.write(f"{day.isoformat()},{name},{int(reference[k] * 10000)},{counts[k]}\n")
