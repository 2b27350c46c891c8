"""Fits the `lifetimes` package's BG/NBD and Gamma-Gamma models on the summary the benchmark
wrote (compressed rows with a weight each, as the portal fits them) and prints the parameters
and the seconds each fit took, as JSON. Run by the benchmark with the pinned lifetimes that
bench.sh installs into target/bench/lifetimes."""

import json
import sys
import time

import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter

folder = sys.argv[1]
summary = pd.read_csv(f"{folder}/summary.csv")
spend = pd.read_csv(f"{folder}/spend.csv")

began = time.perf_counter()
bg = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"], weights=summary["weight"])
bg_seconds = time.perf_counter() - began

began = time.perf_counter()
gg = GammaGammaFitter().fit(spend["frequency"], spend["monetary_value"], weights=spend["weight"])
gg_seconds = time.perf_counter() - began

print(json.dumps({
    "bg": {**{k: float(v) for k, v in bg.params_.items()}, "seconds": bg_seconds},
    "gg": {**{k: float(v) for k, v in gg.params_.items()}, "seconds": gg_seconds},
}))
