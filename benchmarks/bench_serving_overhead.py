"""The service's own CPU per request: ``semcom serve``'s app with a free engine.

The engine answers every batch with random tiles at once, so what the service process
spends is the event loop's and the batcher's share alone: HTTP, request validation, the
base64 symbols, the cache key, the batcher, the PNG answer, the metrics. The app runs under
uvicorn in this process; ``semcom loadtest`` loads it from a child process (closed loop).
Prints the service's CPU milliseconds per request (user + system time of this process over
the load, which the generator does not share) and the throughput.

    .venv/bin/python benchmarks/bench_serving_overhead.py                 # 2,000 requests, 32 users
    .venv/bin/python benchmarks/bench_serving_overhead.py --requests 5000 --users 64
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import torch
import uvicorn

from semcom.serving.app import create_app
from semcom.serving.config import ServeConfig
from semcom.serving.engine import DecodeJob, TransmitJob
from semcom.serving.server import free_port


class FreeEngine:
    """An engine with ``k`` symbols per 32x32 RGB tile that costs (almost) nothing."""

    def __init__(self, k: int = 256) -> None:
        self.k = k
        self.tile_shape = (3, 32, 32)
        self.device = "cpu"

    def info(self) -> dict[str, Any]:
        return {"codec": "free", "k": self.k, "tile_shape": list(self.tile_shape),
                "device": "cpu", "max_batch": 16}  # fmt: skip

    def decode_batch(self, jobs: list[DecodeJob]) -> list[torch.Tensor]:
        return [torch.rand(len(j.symbols), *self.tile_shape) for j in jobs]

    def transmit_batch(self, jobs: list[TransmitJob]) -> list[torch.Tensor]:
        return [torch.rand(len(j.tiles), *self.tile_shape) for j in jobs]

    def close(self) -> None:
        pass


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--users", type=int, default=32)
    a = p.parse_args(argv)
    semcom = shutil.which("semcom") or str(Path(sys.executable).with_name("semcom"))
    port = free_port("127.0.0.1")
    app = create_app(FreeEngine(), ServeConfig(checkpoint="free"))  # type: ignore[arg-type]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "load.csv"
        load = [semcom, "loadtest", "--url", url, "--users", str(a.users), "--csv", str(csv_path)]
        subprocess.run([*load, "--requests", "200"], check=True, capture_output=True)  # warm-up
        before = _cpu_s()
        done = subprocess.run([*load, "--requests", str(a.requests), "--json"], check=True,
                              capture_output=True, text=True)  # fmt: skip
        cpu = _cpu_s() - before
    server.should_exit = True
    thread.join(30)
    summary = json.loads(done.stdout)
    print(f"service CPU per request: {1000 * cpu / a.requests:.2f} ms "
          f"({a.users} users, {a.requests} requests, {summary['throughput_rps']:.1f} req/s, "
          f"errors {summary['errors']})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
