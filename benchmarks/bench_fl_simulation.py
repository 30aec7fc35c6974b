"""Flower simulation at scale, and its overhead against a plain in-process loop.

For K simulated clients (default 9, 100 and 1,000) it runs ``semcom fl run``'s code path
(Flower's simulation engine on Ray, one virtual SuperNode per client) on a tiny model
(DeepJSCC width 4, 16x16 patches, IID) for a few rounds and prints:

* seconds per round (the ServerApp's own per-round time, from ``rounds.csv``; mean and each
  round: the first includes every Ray worker's start and data load) and the whole run's
  wall time, Ray's start included;
* peak resident memory of this process and all its children (Ray's workers) together,
  sampled every 0.2 s.

For the overhead target it also runs the same rounds as a plain Python loop in this
process — the same partition, the same ``local_train`` of every client, the same FedAvg
weighted by examples and the same global score (``semcom.federated.workload``) — and prints
the ratio of Flower's seconds per round to the loop's. It only prints figures (``--json``
for one JSON object on stdout). Run from the repository root::

    .venv/bin/python benchmarks/bench_fl_simulation.py                    # 9, 100, 1000
    .venv/bin/python benchmarks/bench_fl_simulation.py --clients 9 --rounds 3
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION", "1")

import torch

from semcom.federated.config import FLConfig, fl_config_from_dict
from semcom.federated.run import run_simulation_fl
from semcom.federated.wireless import WirelessModel
from semcom.federated.workload import build_model, client_images, local_train, score, test_images


def _config(clients: int, rounds: int) -> FLConfig:
    return fl_config_from_dict(
        {
            "fl": {"rounds": rounds, "clients": clients, "fraction_evaluate": 0.0},
            "model": {"codec_options": {"width": 4}},
            "data": {"spec": "patches:16", "partition": "iid", "eval_images": 64, "min_size": 1},
            "train": {"batch_size": 32},
        }
    )


class PeakMemory:
    """Peak RSS (bytes) of this process plus all its descendants, sampled in a thread
    (Linux only: reads ``/proc``)."""

    def __init__(self, period_s: float = 0.2) -> None:
        self.period_s = period_s
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        """Sum of VmRSS over this process and its descendants (Linux ``/proc``)."""
        children: dict[int, list[int]] = {}
        rss: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            pid, ppid = int(entry.name), int(fields.get("PPid", "0").strip())
            children.setdefault(ppid, []).append(pid)
            rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
        total, todo = 0, [os.getpid()]
        while todo:
            pid = todo.pop()
            total += rss.get(pid, 0)
            todo += children.get(pid, [])
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.period_s)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def flower_run(cfg: FLConfig) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, PeakMemory() as mem:
        t0 = time.perf_counter()
        run_simulation_fl(cfg, Path(tmp) / "run", progress=False)
        wall = time.perf_counter() - t0
        with (Path(tmp) / "run" / "rounds.csv").open() as f:
            rows = list(csv.DictReader(f))
    per_round = [float(r["seconds"]) for r in rows]
    return {
        "s_per_round": sum(per_round) / len(per_round),
        "s_rounds": per_round,
        "wall_s": wall,
        "peak_rss_gb": mem.peak / 1e9,
        "participants": int(rows[-1]["participants"]),
    }


def plain_loop(cfg: FLConfig) -> dict[str, Any]:
    """The same rounds without Flower: one process, clients one after the other."""
    torch.set_num_threads(1)
    test = test_images(cfg)
    global_model = build_model(cfg, test)
    wireless = WirelessModel(cfg.wireless, cfg.fl.clients, cfg.fl.seed)
    times = []
    with PeakMemory() as mem:
        for t in range(1, cfg.fl.rounds + 1):
            t0 = time.perf_counter()
            snr = wireless.snr_db(t)
            state = global_model.state_dict()
            total: dict[str, torch.Tensor] = {k: torch.zeros_like(v) for k, v in state.items()}
            n_total = 0
            for pid in range(cfg.fl.clients):
                data = client_images(cfg, pid)
                codec = build_model(cfg, data)
                codec.load_state_dict(state)
                seed = cfg.fl.seed * 100_003 + t * 997 + pid
                result = local_train(cfg, codec, data, float(snr[pid]), seed=seed)
                for k, v in codec.state_dict().items():
                    total[k] += v.float() * result.num_examples
                n_total += result.num_examples
            global_model.load_state_dict({k: v / n_total for k, v in total.items()})
            score(cfg, global_model, test, cfg.data.eval_snr_db, seed=cfg.fl.seed)
            times.append(time.perf_counter() - t0)
    return {
        "s_per_round": sum(times) / len(times),
        "s_rounds": times,
        "peak_rss_gb": mem.peak / 1e9,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="9,100,1000", help="comma-separated K values")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-plain", action="store_true", help="skip the plain-loop baseline")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"rounds": args.rounds, "cpus": os.cpu_count(), "runs": []}
    for k in (int(v) for v in args.clients.split(",")):
        cfg = _config(k, args.rounds)
        row: dict[str, Any] = {"clients": k, "flower": flower_run(cfg)}
        if not args.no_plain and k <= 100:
            row["plain"] = plain_loop(cfg)
            row["overhead"] = row["flower"]["s_per_round"] / row["plain"]["s_per_round"]
        results["runs"].append(row)
        f = row["flower"]
        line = (
            f"K={k:5d}  flower {f['s_per_round']:7.2f} s/round  wall {f['wall_s']:7.1f} s  "
            f"peak {f['peak_rss_gb']:5.2f} GB"
        )
        if "plain" in row:
            line += (
                f"  | plain loop {row['plain']['s_per_round']:7.2f} s/round  "
                f"overhead {row['overhead']:.2f}x"
            )
        print(line, file=sys.stderr)
        rounds = "  ".join(f"{v:.2f}" for v in f["s_rounds"])
        print(f"         flower s per round: {rounds}", file=sys.stderr)
        if "plain" in row:
            rounds = "  ".join(f"{v:.2f}" for v in row["plain"]["s_rounds"])
            print(f"         plain  s per round: {rounds}", file=sys.stderr)
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
