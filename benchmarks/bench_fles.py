"""FLeS against multi-user (and single-user, centralised): issue 8's targets, 3 seeds.

- epochs to reach 1.1x its own final error rate: FLeS <= 0.7x multi-user (mean over seeds);
- semantic throughput per cluster: FLeS >= 1.2x multi-user (each cluster's good bits over
  the busy time of the receiver serving it: multi-user's one receiver serves all three
  clusters, FLeS has one per cluster — the paper's reading of its Fig. 5; printed beside
  it, the ratio with a receiver per cluster for multi-user too, i.e. accuracy alone, and
  the share of records regenerated at each tolerance of the study);
- final error rates of every scenario, mean +- std;
- the content layer's share of text fields written right, per scenario (mean over
  clusters and seeds).

Runs are the ``000-fig4`` / ``000-fig5`` recipe's (shared, resumable)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_fles.py             # 30 epochs
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_fles.py --rounds 100
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_fles.py \\
        --variant fles-3ep=fles:local_epochs=3  # an extra row: FLeS, 3 local epochs
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_fles.py \\
        --cluster-shift 1 --out runs/bench-fles-shift1  # clusters whose data differ
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from semcom.errors import SemcomError
from semcom.experiments.p000_scenarios import (
    _curves,
    epochs_to_reach,
    fig5_rows,
    scenario_runs,
)
from semcom.experiments.recipe import RecipeOptions


def _parse(value: str, default: Any) -> Any:
    """``value`` as the type of ``default`` (booleans: true / false, 1 / 0, yes / no)."""
    if isinstance(default, bool):
        words = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
        if value.lower() not in words:
            raise ValueError(value)
        return words[value.lower()]
    return type(default)(value)


def _variants(specs: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    from semcom.twin.fles_config import FLeSSettings

    defaults = FLeSSettings().to_dict()
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for spec in specs:
        label, _, rest = spec.partition("=")
        scenario, _, pairs = rest.partition(":")
        if not label or not scenario:
            raise SemcomError(f"--variant {spec!r}: expected LABEL=SCENARIO:KEY=VALUE,...")
        kw: dict[str, Any] = {}
        for pair in filter(None, pairs.split(",")):
            key, _, value = pair.partition("=")
            if key not in defaults:
                raise SemcomError(f"--variant {spec!r}: unknown setting {key!r}")
            try:
                kw[key] = _parse(value, defaults[key])
            except ValueError:
                raise SemcomError(f"--variant {spec!r}: {key} = {value!r} is not valid") from None
        out[label] = (scenario, kw)
    return out


def _shifted(data: str | None, strength: float, out: Path) -> str | None:
    """The data the runs use: as given, or its activity-shifted copy (written once)."""
    if strength == 0.0:
        return data
    from semcom.data.health import load_health_records, shift_by_activity
    from semcom.experiments.p000_scenarios import DEFAULT_DATA

    source = data or DEFAULT_DATA
    if not Path(source).exists():
        raise SemcomError(f"health records {source!r} not found; pass --data PATH")
    path = out / f"records-shift{strength:g}.csv"
    if not path.exists():
        out.mkdir(parents=True, exist_ok=True)
        shift_by_activity(load_health_records(source), strength).to_csv(path)
    return str(path)


def _ratio(a: float, b: float) -> float:
    """``a / b``; NaN when ``b`` is 0 (no record of the baseline within tolerance)."""
    return a / b if b else float("nan")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--data", default=None)
    p.add_argument("--out", default="runs/bench-fles")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="LABEL=SCENARIO:KEY=VALUE[,KEY=VALUE]",
        help="an extra row, e.g. fles-3ep=fles:local_epochs=3 (repeatable)",
    )
    p.add_argument(
        "--cluster-shift",
        type=float,
        default=0.0,
        metavar="S",
        help="study: make the activity level shape the numeric fields (0 = the data as is, "
        "1 = disjoint slices per level; semcom.data.health.shift_by_activity)",
    )
    args = p.parse_args()
    try:
        data = _shifted(args.data, args.cluster_shift, Path(args.out))
    except SemcomError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    options = RecipeOptions(out=Path(args.out), data=data, progress=not args.json)
    try:
        runs = scenario_runs(options, rounds=args.rounds, variants=_variants(args.variant))
    except SemcomError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    figures: dict[str, dict[str, float]] = {}
    for scenario, folders in runs.items():
        curves = [_curves(r)["error_rate"] for r in folders]
        finals = [float(c[-1]) for c in curves]
        reach = [epochs_to_reach(c) for c in curves]
        figures[scenario] = {
            "final_error_rate": float(np.mean(finals)),
            "final_error_rate_std": float(np.std(finals)),
            "epochs_to_1.1x_final": float(np.mean(reach)),
        }
    per_cluster: dict[str, list[dict[str, Any]]] = {}
    for row in fig5_rows(runs):
        per_cluster.setdefault(row["scenario"], []).append(row)
    study = [k for k in per_cluster["fles"][0] if k.startswith("within_tolerance@")]
    for scenario, rows in per_cluster.items():
        f = figures[scenario]
        for key, name in (
            ("content_field_accuracy", "content_field_accuracy"),
            ("throughput_bps", "throughput_bps_per_cluster"),
            ("own_receiver_throughput_bps", "own_receiver_throughput_bps_per_cluster"),
            *((k, k) for k in study),
        ):
            f[name] = float(np.mean([r.get(key, np.nan) for r in rows]))
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(
        f"{'scenario':9} {'final error rate':>20} {'epochs to 1.1x':>15} "
        f"{'kbit/s per cluster':>19} {'(own receiver)':>15} {'text fields right':>18}"
    )
    for name, f in figures.items():
        print(
            f"{name:9} {f['final_error_rate']:12.4f} +- {f['final_error_rate_std']:.4f} "
            f"{f['epochs_to_1.1x_final']:15.1f} {f['throughput_bps_per_cluster'] / 1e3:19.2f} "
            f"{f['own_receiver_throughput_bps_per_cluster'] / 1e3:15.2f} "
            f"{f['content_field_accuracy']:18.3f}"
        )
    fl, mu = figures["fles"], figures["multi"]
    if study:
        print("share of test records regenerated within tolerance (mean over clusters, seeds):")
        print(f"{'scenario':9} " + " ".join(f"{k.split('@')[1]:>7}" for k in study))
        for name, f in figures.items():
            print(f"{name:9} " + " ".join(f"{f[k]:7.3f}" for k in study))
        print(f"{'fles/multi':9} " + " ".join(f"{_ratio(fl[k], mu[k]):7.2f}" for k in study))
    speed = _ratio(fl["epochs_to_1.1x_final"], mu["epochs_to_1.1x_final"])
    gain = _ratio(fl["throughput_bps_per_cluster"], mu["throughput_bps_per_cluster"])
    own = _ratio(
        fl["own_receiver_throughput_bps_per_cluster"], mu["own_receiver_throughput_bps_per_cluster"]
    )
    print(
        f"FLeS / multi-user epochs to 1.1x final: {speed:.2f} (target <= 0.7: "
        f"{'met' if speed <= 0.7 else 'NOT met'})"
    )
    print(
        f"FLeS / multi-user throughput per cluster: {gain:.2f} (target >= 1.2: "
        f"{'met' if gain >= 1.2 else 'NOT met'}; multi-user's one receiver serves all "
        f"three clusters, each FLeS cluster has its own)"
    )
    print(f"  the same with a receiver per cluster for multi-user too (accuracy alone): {own:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
