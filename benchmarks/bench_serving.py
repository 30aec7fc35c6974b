"""The MU-GSC service under load: issue 10's targets.

Two ``semcom serve`` processes of the same link (default ``zoo:gsc-cifar10-awgn``, the
Swin-JSCC codec with the ``sft-small`` refiner, T steps), loaded by ``semcom loadtest``'s
generator from this process (closed loop, every payload fresh, so the cache never answers):

1. **one at a time**: ``--max-batch 1`` (one request per forward), 1 and 32 users;
2. **batched**: ``--max-batch 32``, 1, 8, 32 and 64 users: throughput, p50 / p95 / p99,
   and the ratio to one-at-a-time at the same number of users, measured in the same run;
3. **soak**: the batched service, 64 users x ``--soak-requests`` (10,000): server errors
   (5xx), other failures, and the service's RSS after the rows above and at the end;
4. **batched-glibc**: 2-3 again with ``--no-flat-memory`` (glibc's default malloc and
   unpadded forwards; see ``semcom.serving.memory``), at 32 and 64 users;
5. **batched-2proc**: 2-3 again with ``--model-processes 2`` (two model processes of one
   thread each share the batches; ``semcom.serving.engine_pool``), at 8, 32 and 64 users.

The services run the model in a process of their own (``semcom serve``'s default); RSS is
that of the service and its model processes together.

Targets: 32 users >= 4x one-at-a-time throughput with p99 <= 1 s; the soak with 0 server
errors and RSS growth < 10 %. The ratio is printed against one-at-a-time at 32 users (the
bar) and at 1 user (requests served strictly one after another). Writes ``serving.csv``
and ``serving.json`` under ``--out``.

    .venv/bin/python benchmarks/bench_serving.py                 # about 10 minutes
    .venv/bin/python benchmarks/bench_serving.py --requests 300 --soak-requests 2000  # quick
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

import torch

from semcom.errors import SemcomError
from semcom.serving.loadtest import LoadTestConfig, run_loadtest
from semcom.serving.server import ServiceProcess


def load(url: str, users: int, requests: int) -> dict[str, Any]:
    """One closed-loop load test with fresh payloads (never in the cache); its summary."""
    result = run_loadtest(LoadTestConfig(url, users=users, requests=requests))
    return result.summary()


def warm_up(url: str) -> None:
    """Compile-free, but the first forwards of a process are slower: discard them."""
    load(url, users=8, requests=64)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--checkpoint", default="zoo:gsc-cifar10-awgn")
    p.add_argument("--requests", type=int, default=600, help="requests per measurement")
    p.add_argument("--users", default="1,8,32,64", help="concurrent users to measure")
    p.add_argument("--peak-users", default="32,64",
                   help="users to measure with --no-flat-memory (empty: skip)")  # fmt: skip
    p.add_argument("--pool-users", default="8,32,64",
                   help="users to measure with --model-processes 2 (empty: skip)")  # fmt: skip
    p.add_argument("--soak-requests", type=int, default=10_000, help="0 skips the soak")
    p.add_argument("--soak-users", type=int, default=64)
    p.add_argument("--max-batch", type=int, default=32)
    p.add_argument("--out", type=Path, default=Path("runs/bench-serving"))
    a = p.parse_args(argv)
    users = [int(u) for u in a.users.split(",") if u]
    peak_users = [int(u) for u in a.peak_users.split(",") if u]
    pool_users = [int(u) for u in a.pool_users.split(",") if u]
    common = ["--checkpoint", a.checkpoint, "--device", "cpu"]
    rows: list[dict[str, Any]] = []
    print(f"# {platform.node()}: {os.cpu_count()} cores, torch {torch.__version__}, "
          f"{a.checkpoint}, {a.requests} requests per row", flush=True)  # fmt: skip

    def record(mode: str, summary: dict[str, Any], **extra: Any) -> dict[str, Any]:
        row = {"mode": mode, **summary, **extra}
        rows.append(row)
        print(f"{mode:>13} users={row['users']:>3}  {row['throughput_rps']:8.2f} req/s  "
              f"p50 {row['p50_ms']:7.1f}  p95 {row['p95_ms']:7.1f}  p99 {row['p99_ms']:7.1f} ms"
              f"  errors {row['errors']}", flush=True)  # fmt: skip
        return row

    baseline: dict[int, float] = {}

    def ref_users(n: int) -> int:
        """The one-at-a-time row a batched row is compared with (same users, else 32 / 1)."""
        return n if n in baseline else (32 if n > 1 else 1)

    with ServiceProcess([*common, "--max-batch", "1"]) as url:
        warm_up(url)
        for n in (1, 32):
            baseline[n] = record("one-at-a-time", load(url, n, a.requests))["throughput_rps"]
    soaks: dict[str, dict[str, Any]] = {}
    modes = {
        "batched": ([], users),
        "batched-glibc": (["--no-flat-memory"], peak_users),
        "batched-2proc": (["--model-processes", "2"], pool_users),
    }
    for mode, (extra, mode_users) in modes.items():
        if not mode_users:
            continue
        service = ServiceProcess([*common, "--max-batch", str(a.max_batch), *extra])
        with service as url:
            warm_up(url)
            for n in mode_users:
                row = record(mode, load(url, n, a.requests))
                row["ratio_vs_one_at_a_time"] = round(
                    row["throughput_rps"] / baseline[ref_users(n)], 2
                )
                row["ratio_vs_one_user"] = round(row["throughput_rps"] / baseline[1], 2)
            if a.soak_requests:
                rss_start = service.rss_bytes()
                s = record(f"{mode} soak", load(url, a.soak_users, a.soak_requests))
                rss_end = service.rss_bytes()
                soaks[mode] = {
                    "requests": s["requests"], "server_errors": s["server_errors"],
                    "errors": s["errors"], "error_examples": s["error_examples"],
                    "rss_start_mb": round(rss_start / 2**20, 1),
                    "rss_end_mb": round(rss_end / 2**20, 1),
                    "rss_growth": round(rss_end / rss_start - 1, 4) if rss_start else None,
                }  # fmt: skip
    print()
    for row in rows:
        if "ratio_vs_one_at_a_time" in row:
            ref = ref_users(row["users"])
            print(f"{row['mode']:>13} / one-at-a-time at {row['users']:>2} users: "
                  f"{row['ratio_vs_one_at_a_time']:.2f}x (vs {ref} users), "
                  f"{row['ratio_vs_one_user']:.2f}x (vs 1 user)")  # fmt: skip
    for mode in modes:
        at32 = next((r for r in rows if r["mode"] == mode and r["users"] == 32), None)
        if at32 is not None:
            ok = at32["ratio_vs_one_at_a_time"] >= 4 and at32["p99_ms"] <= 1000
            print(f"{mode}: target 32 users >= 4x and p99 <= 1000 ms: "
                  f"{at32['ratio_vs_one_at_a_time']:.2f}x, p99 {at32['p99_ms']:.0f} ms -> "
                  f"{'met' if ok else 'NOT met'}")  # fmt: skip
    for mode, soak in soaks.items():
        growth = soak["rss_growth"]
        ok = soak["server_errors"] == 0 and growth is not None and growth < 0.10
        print(f"{mode}: soak {a.soak_users} users x {soak['requests']}: "
              f"{soak['server_errors']} server errors, other failures {soak['errors']} "
              f"{soak['error_examples'] or ''}, RSS {soak['rss_start_mb']} -> "
              f"{soak['rss_end_mb']} MB ({100 * (growth or 0):+.1f} %) -> "
              f"{'met' if ok else 'NOT met'}")  # fmt: skip
    a.out.mkdir(parents=True, exist_ok=True)
    keys = sorted({k for r in rows for k in r}, key=lambda k: list(rows[0]).index(k)
                  if k in rows[0] else 99)  # fmt: skip
    with (a.out / "serving.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        for r in rows:
            w.writerow({k: json.dumps(v) if isinstance(v, dict) else v for k, v in r.items()})
    (a.out / "serving.json").write_text(json.dumps({"rows": rows, "soaks": soaks}, indent=2))
    print(f"-> {a.out / 'serving.csv'}, {a.out / 'serving.json'}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SemcomError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
