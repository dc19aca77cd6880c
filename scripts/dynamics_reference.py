#!/usr/bin/env python3
"""Reference low-pass filter outputs for the market-dynamics parity test.

For every CSV in the shared data folder, filters the key indicator of each tic
with scipy.signal.butter(4, Wn) + scipy.signal.filtfilt (SciPy defaults) for a
few filter settings, and writes one JSON file per data file into --out.

    pip install numpy scipy pandas
    python3 scripts/dynamics_reference.py --out /tmp/dynamics-ref
    DYNAMICS_REFERENCE_DIR=/tmp/dynamics-ref cargo test -p tmctl-service --test dynamics filter_parity

Floats are written with repr(), so they round-trip exactly.

With --fastdtw-cases FILE it instead writes random FastDTW and segment-distance
cases computed with the `fastdtw` package (pip install fastdtw); the committed
tests/fixtures/dynamics/fastdtw_cases.json was made with --seed 7.
"""
import argparse
import json
import os
import sys

import numpy as np
import pandas as pd
from scipy.signal import butter, filtfilt

# (min_length_limit, filter_strength) pairs; Wn = min(2 / (period * strength), 2), period 7 for -1.
FILTER_SETTINGS = [(-1, 1.0), (24, 1.0), (12, 2.0), (60, 1.0)]
KEY_INDICATOR = "adjcp"
TIC_COLUMN = "tic"


def cutoff(min_length_limit, filter_strength):
    period = 7 if min_length_limit == -1 else min_length_limit
    return min(2 / (period * filter_strength), 2)


def reference_for(path):
    data = pd.read_csv(path)
    if TIC_COLUMN not in data.columns:
        data[TIC_COLUMN] = TIC_COLUMN
    cases = []
    for min_length_limit, filter_strength in FILTER_SETTINGS:
        wn = cutoff(min_length_limit, filter_strength)
        b, a = butter(4, wn, btype="low", analog=False)
        tics = []
        for tic in data[TIC_COLUMN].unique():
            series = data.loc[data[TIC_COLUMN] == tic, KEY_INDICATOR].to_numpy(dtype=float)
            filtered = filtfilt(b, a, series)
            tics.append({"tic": str(tic), "filtered": [float(v) for v in filtered]})
        cases.append({"min_length_limit": min_length_limit, "filter_strength": filter_strength,
                      "wn": wn, "tics": tics})
    return {"file": os.path.basename(path), "key_indicator": KEY_INDICATOR,
            "tic_column": TIC_COLUMN, "cases": cases}


def fastdtw_cases(seed):
    import math
    import random

    from fastdtw import fastdtw

    rng = random.Random(seed)
    cases = []
    for _ in range(60):
        x = [round(rng.uniform(50, 150), rng.choice([0, 2, 6])) for _ in range(rng.randint(1, 90))]
        y = [round(rng.uniform(50, 150), rng.choice([0, 2, 6])) for _ in range(rng.randint(1, 90))]
        distance, _ = fastdtw(x, y)
        # Segment distance as the labeler defines it (shorter slides over longer).
        rounds = rng.randint(1, 20)
        longer, shorter = (x, y) if len(x) > len(y) else (y, x)
        step = max(1, math.floor((len(longer) - len(shorter)) / (rounds * 3 + 10)))
        windows = [fastdtw(shorter, longer[i:i + len(shorter)])[0]
                   for i in range(0, len(longer) - len(shorter), step)]
        segment = float(np.mean(windows) / (len(shorter) * np.mean(shorter))) if windows else None
        cases.append({"x": x, "y": y, "fastdtw": float(distance), "round": rounds,
                      "segment_distance": segment})
    return {"seed": seed, "cases": cases}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "trademaster")
    parser.add_argument("--data", default=default_data, help="folder of the shared data CSV files")
    parser.add_argument("--out", help="folder to write <file>.json references into")
    parser.add_argument("--fastdtw-cases", help="write FastDTW cases to this JSON file instead")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.fastdtw_cases:
        with open(args.fastdtw_cases, "w") as out:
            json.dump(fastdtw_cases(args.seed), out, separators=(",", ":"))
        return
    if not args.out:
        parser.error("--out is required")
    os.makedirs(args.out, exist_ok=True)
    names = sorted(n for n in os.listdir(args.data) if n.endswith(".csv"))
    if not names:
        sys.exit(f"no CSV files in {args.data}")
    for name in names:
        reference = reference_for(os.path.join(args.data, name))
        with open(os.path.join(args.out, name[:-4] + ".json"), "w") as out:
            json.dump(reference, out)
        print(f"{name}: {len(reference['cases'][0]['tics'])} tics", file=sys.stderr)


if __name__ == "__main__":
    main()
