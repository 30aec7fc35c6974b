"""PSFL against FedAvg(GSC-M), STC, FTTQ and FedPAQ: uplink energy and global accuracy.

Issue 7's targets, measured in one run on the same data, partition, SNRs and rounds: on the
Fashion-MNIST subset, 9 clients, Dirichlet 0.9, 20 rounds at CPU scale,

* PSFL's uplink energy per round <= 0.3x FedAvg(GSC-M)'s, and
* PSFL's global accuracy >= FedAvg's - 1 point,

with STC, FTTQ and FedPAQ beside them. CPU scale: the contenders share GSC-M at
``narrow = 2`` (411k parameters on 28x28); PSFL's mentors are GSC-M / L / H at
``narrow = 2`` and its student CSC width 8 (194k, CSC : GSC-M = 1 : 2.1). Every strategy
trains with the task loss CE + MSE (paper 001 Eq. 16); accuracy is the zoo Fashion-MNIST
classifier on images the global model reconstructs over AWGN at 10 dB (PSFL: the pruned
CSC student). Energy per round is the sum over the uploading clients (Eqs. 12-14, bits
measured on what they upload).

Each strategy's run lives in ``--out/<strategy>`` and resumes where it stopped, so the
script can be re-run after an interruption. It prints figures only::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_psfl.py            # 20 rounds
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_psfl.py --rounds 5 --json
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_psfl.py --strategies fedavg,psfl \
        --psfl regrow=last --psfl agp_start_round=3   # a PSFL variant against the same FedAvg
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION", "1")

from semcom.errors import SemcomError
from semcom.federated.config import FLConfig, fl_config_from_dict
from semcom.federated.run import run_simulation_fl

DATA = "npz:../shared/data/fashion_mnist_subset.npz"
STRATEGIES = ("fedavg", "psfl", "stc", "fttq", "fedpaq")


def config(strategy: str, args: argparse.Namespace) -> FLConfig:
    tables: dict[str, dict[str, Any]] = {
        "fl": {"strategy": strategy, "rounds": args.rounds, "clients": args.clients, "seed": 0},
        "model": {
            "codec": "vitjscc",
            "codec_options": {"size": "gsc-m", "narrow": args.narrow},
            "classifier": "zoo:classifier-fashion-mnist",
        },
        "data": {
            "spec": f"{args.data}#train",
            "eval_spec": f"{args.data}#test",
            "partition": "dirichlet",
            "dirichlet": args.dirichlet,
            "eval_images": args.eval_images,
        },
        "train": {"local_epochs": 1, "batch_size": 32, "lr": 1e-3, "task_weight": 1.0},
        "simulation": {"ray_cpus": args.cpus},
    }
    if strategy == "psfl":
        tables["model"]["codec"] = "csc"
        tables["model"]["codec_options"] = {"width": 8}
        tables["psfl"] = {"mentor_options": {"narrow": args.narrow}, **psfl_options(args)}
    return fl_config_from_dict(tables, source=f"bench {strategy}")


def psfl_options(args: argparse.Namespace) -> dict[str, Any]:
    """``--psfl KEY=VALUE`` pairs as ``[psfl]`` keys (TOML values: 2, 0.5, true, "last")."""
    import tomllib

    out: dict[str, Any] = {}
    for item in args.psfl:
        key, sep, value = item.partition("=")
        if not sep:
            raise SemcomError(f"--psfl takes KEY=VALUE, got {item!r}")
        try:
            out[key.strip()] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            out[key.strip()] = value
    return out


def rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open() as f:
        return list(csv.DictReader(f))


def folder(strategy: str, args: argparse.Namespace) -> Path:
    suffix = "".join(f"-{item}" for item in args.psfl) if strategy == "psfl" else ""
    return Path(args.out) / f"{strategy}{suffix}"


def run(strategy: str, args: argparse.Namespace) -> list[dict[str, str]]:
    cfg = config(strategy, args)
    out = folder(strategy, args)
    done = rows(out / "rounds.csv")
    if len(done) < args.rounds:
        print(f"== {strategy}: rounds {len(done) + 1}..{args.rounds}", file=sys.stderr)
        run_simulation_fl(cfg, out, resume=(out / "fl_state.pt").exists(), progress=True)
    return rows(out / "rounds.csv")[: args.rounds]


def full_test_score(folder: Path) -> tuple[float, float, int]:
    """The run's final global model (PSFL: the pruned student) on the *whole* test split:
    ``(accuracy, PSNR dB, images)``, same channel seed as the per-round metrics. The
    per-round figures use ``--eval-images`` (512: about +-1.7 points of standard error);
    this one uses every test image (2,443 for the Fashion-MNIST subset)."""
    import torch

    from semcom.federated.server_app import STATE_FILE
    from semcom.federated.workload import build_model, score, test_images

    state = torch.load(folder / STATE_FILE, weights_only=False)
    tables = state["config"]
    cfg = fl_config_from_dict({**tables, "data": {**tables["data"], "eval_images": 10**9}})
    test = test_images(cfg)
    codec = build_model(cfg, test)
    codec.load_state_dict(state["model"])
    s = score(cfg, codec, test, cfg.data.eval_snr_db, seed=cfg.fl.seed)
    return s.accuracy, s.psnr_db, s.num_examples


def summary(r: list[dict[str, str]], folder: Path) -> dict[str, float]:
    energy = [float(x["energy_j"]) for x in r]
    bits = [float(x["uplink_bits"]) for x in r]
    acc = [float(x["global_accuracy"]) for x in r]
    return {
        "energy_j_per_round": sum(energy) / len(energy),
        "uplink_mbit_per_round": sum(bits) / len(bits) / 1e6,
        "final_accuracy": acc[-1],
        "best_accuracy": max(acc),
        "final_psnr_db": float(r[-1]["global_psnr_db"]),
        "seconds_per_round": sum(float(x["seconds"]) for x in r) / len(r),
        **dict(zip(("full_test_accuracy", "full_test_psnr_db", "full_test_images"),
                   full_test_score(folder), strict=True)),
    }  # fmt: skip


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--clients", type=int, default=9)
    p.add_argument("--dirichlet", type=float, default=0.9)
    p.add_argument("--narrow", type=int, default=2)
    p.add_argument("--eval-images", type=int, default=512)
    p.add_argument("--cpus", type=int, default=2)
    p.add_argument("--data", default=DATA)
    p.add_argument("--strategies", default=",".join(STRATEGIES))
    p.add_argument("--out", default="runs/bench-psfl")
    p.add_argument(
        "--psfl",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a [psfl] option for the PSFL run (its own folder), e.g. regrow=last",
    )
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    names = [s.strip() for s in args.strategies.split(",") if s.strip()]
    try:
        psfl_options(args)  # bad --psfl values: one line, before anything runs
        figures = {name: summary(run(name, args), folder(name, args)) for name in names}
    except SemcomError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(
        f"{'strategy':9} {'energy J/round':>15} {'uplink Mbit/round':>18} "
        f"{'final acc':>10} {'best acc':>9} {'PSNR dB':>8} {'s/round':>8} "
        f"{'final acc, all test':>20} {'PSNR, all':>9}"
    )
    for name, f in figures.items():
        print(
            f"{name:9} {f['energy_j_per_round']:15.4g} {f['uplink_mbit_per_round']:18.2f} "
            f"{100 * f['final_accuracy']:9.2f}% {100 * f['best_accuracy']:8.2f}% "
            f"{f['final_psnr_db']:8.2f} {f['seconds_per_round']:8.1f} "
            f"{100 * f['full_test_accuracy']:19.2f}% {f['full_test_psnr_db']:9.2f}"
        )
    if "psfl" in figures and "fedavg" in figures:
        ps, fa = figures["psfl"], figures["fedavg"]
        ratio = ps["energy_j_per_round"] / fa["energy_j_per_round"]
        gap = 100 * (ps["final_accuracy"] - fa["final_accuracy"])
        full_gap = 100 * (ps["full_test_accuracy"] - fa["full_test_accuracy"])
        print(
            f"PSFL energy / FedAvg energy: {ratio:.3f} (target <= 0.3: "
            f"{'met' if ratio <= 0.3 else 'NOT met'})"
        )
        print(
            f"PSFL accuracy - FedAvg accuracy: {gap:+.2f} points on {args.eval_images} test "
            f"images, {full_gap:+.2f} on all {int(fa['full_test_images'])} (target >= -1: "
            f"{'met' if min(gap, full_gap) >= -1 else 'NOT met'})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
