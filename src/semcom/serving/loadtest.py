"""The load generator: many concurrent users against a running service (httpx, asyncio).

Closed loop by default: each of ``users`` simulated users sends its next request as soon
as the previous one is answered. With ``rate`` (requests/s in total) it is open loop:
request ``i`` is due at ``i / rate`` s and at most ``users`` are in flight; latency is
counted from the due time, so a server that falls behind is charged for the wait
(no coordinated omission).

Every request carries fresh random symbols (``decode``: unit-power complex Gaussian, ``k``
per tile, from ``GET /v1/info``) or a fresh random image (``transmit``), so the service's
cache never answers a load test; the model's cost does not depend on the values.

Example:
    >>> from semcom.serving.loadtest import LoadTestConfig, run_loadtest
    >>> from semcom.serving.server import ServiceThread, build_app
    >>> from semcom.serving import ServeConfig
    >>> with ServiceThread(build_app(ServeConfig("zoo:deepjscc-cifar10-awgn"))) as url:
    ...     result = run_loadtest(LoadTestConfig(url, users=4, requests=20), progress=False)
    >>> result.summary()["ok"], result.summary()["errors"]
    (20, {})
"""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

from semcom.errors import SemcomError

ENDPOINTS = ("decode", "transmit")


@dataclass(frozen=True)
class LoadTestConfig:
    """What to send.

    Attributes:
        url: the service's base URL (``http://127.0.0.1:8000``).
        users: concurrent simulated users (connections).
        requests: requests in all.
        rate: open-loop arrival rate, requests/s in total (``None``: closed loop).
        endpoint: ``decode`` or ``transmit``.
        api_key: sent as ``X-API-Key`` when set.
        timeout_s: client-side timeout per request, s.
        snr_range_db: each request's SNR is drawn uniformly from it, dB.
        seed: seed of the payloads; ``None`` (default) draws a fresh one, so that a
            repeated test never meets the service's cache (the summary reports it).
    """

    url: str
    users: int = 32
    requests: int = 2000
    rate: float | None = None
    endpoint: str = "decode"
    api_key: str | None = None
    timeout_s: float = 60.0
    snr_range_db: tuple[float, float] = (0.0, 20.0)
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.seed is None:
            object.__setattr__(self, "seed", secrets.randbits(32))
        if self.users < 1 or self.requests < 1:
            raise SemcomError(f"users and requests must be >= 1, got {self.users}, {self.requests}")
        if self.rate is not None and not self.rate > 0:
            raise SemcomError(f"rate must be > 0 requests/s, got {self.rate}")
        if self.endpoint not in ENDPOINTS:
            choices = ", ".join(ENDPOINTS)
            raise SemcomError(f"unknown endpoint {self.endpoint!r}; choose one of: {choices}")
        if not self.url.startswith(("http://", "https://")):
            raise SemcomError(f"url must start with http:// or https://, got {self.url!r}")


@dataclass(frozen=True)
class RequestRecord:
    """One request: ``start_s`` after the test began, ``latency_s``, HTTP ``status`` (0: no
    answer), and the error text for failures."""

    index: int
    user: int
    start_s: float
    latency_s: float
    status: int
    error: str = ""


@dataclass
class LoadTestResult:
    """Every request's record and the test's wall time (s)."""

    config: LoadTestConfig
    records: list[RequestRecord] = field(default_factory=list)
    wall_s: float = 0.0

    def summary(self) -> dict[str, Any]:
        """Throughput (answered 2xx per second of wall time), latency percentiles of the
        2xx answers (ms), and the failures by status (``"0"``: no answer) with the first
        error text of each status."""
        ok = [r.latency_s for r in self.records if 200 <= r.status < 300]
        lat = np.asarray(ok) * 1000 if ok else np.asarray([np.nan])
        failed = [r for r in self.records if not 200 <= r.status < 300]
        errors = Counter(str(r.status) for r in failed)
        examples: dict[str, str] = {}
        for r in failed:
            examples.setdefault(str(r.status), r.error)
        return {
            "endpoint": self.config.endpoint,
            "seed": self.config.seed,
            "users": self.config.users,
            "requests": len(self.records),
            "ok": len(ok),
            "errors": dict(sorted(errors.items())),
            "error_examples": dict(sorted(examples.items())),
            "server_errors": sum(v for k, v in errors.items() if k.startswith("5")),
            "wall_s": round(self.wall_s, 3),
            "throughput_rps": round(len(ok) / self.wall_s, 2) if self.wall_s > 0 else 0.0,
            "p50_ms": round(float(np.percentile(lat, 50)), 2),
            "p95_ms": round(float(np.percentile(lat, 95)), 2),
            "p99_ms": round(float(np.percentile(lat, 99)), 2),
            "mean_ms": round(float(lat.mean()), 2),
        }

    def write_csv(self, path: Path) -> Path:
        """One row per request (``index, user, start_s, latency_s, status, error``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["index", "user", "start_s", "latency_s", "status", "error"])
            for r in self.records:
                w.writerow([r.index, r.user, f"{r.start_s:.6f}", f"{r.latency_s:.6f}",
                            r.status, r.error])  # fmt: skip
        return path


class _Payloads:
    """Fresh request bodies, reproducible from the seed."""

    def __init__(self, cfg: LoadTestConfig, info: dict[str, Any]) -> None:
        self.cfg = cfg
        self.k = int(info["k"])
        self.tile_shape = tuple(int(v) for v in info["tile_shape"])

    def body(self, i: int, user: int) -> dict[str, Any]:
        rng = np.random.default_rng([int(self.cfg.seed or 0), i])
        snr = float(rng.uniform(*self.cfg.snr_range_db))
        common = {"user_id": f"user-{user}", "snr_db": round(snr, 3)}
        if self.cfg.endpoint == "decode":
            z = (rng.standard_normal(self.k) + 1j * rng.standard_normal(self.k)) / np.sqrt(2)
            raw = z.astype("<c8").tobytes()
            return {**common, "symbols": base64.b64encode(raw).decode("ascii")}
        c, h, w = self.tile_shape
        arr = rng.integers(0, 256, size=(h, w, c), dtype=np.uint8)
        buf = io.BytesIO()
        Image.fromarray(arr[..., 0] if c == 1 else arr).save(buf, format="PNG")
        return {**common, "image_png_base64": base64.b64encode(buf.getvalue()).decode("ascii")}


async def _fetch_info(client: httpx.AsyncClient) -> dict[str, Any]:
    try:
        r = await client.get("/v1/info")
    except httpx.HTTPError as e:
        raise SemcomError(f"no service answers at {client.base_url}: {e}") from None
    if r.status_code != 200:
        detail = r.json().get("error", r.text) if r.headers.get("content-type", "").startswith(
            "application/json") else r.text  # fmt: skip
        raise SemcomError(f"GET /v1/info answered {r.status_code}: {detail}")
    info: dict[str, Any] = r.json()
    return info


async def arun_loadtest(
    cfg: LoadTestConfig, on_done: Callable[[RequestRecord], None] | None = None
) -> LoadTestResult:
    """Run the load test (coroutine); ``on_done`` is called after each request."""
    headers = {"X-API-Key": cfg.api_key} if cfg.api_key else {}
    limits = httpx.Limits(max_connections=cfg.users, max_keepalive_connections=cfg.users)
    timeout = httpx.Timeout(cfg.timeout_s)
    result = LoadTestResult(cfg)
    async with httpx.AsyncClient(
        base_url=cfg.url, headers=headers, limits=limits, timeout=timeout
    ) as client:
        payloads = _Payloads(cfg, await _fetch_info(client))
        path = f"/v1/{cfg.endpoint}"
        t0 = time.perf_counter()

        async def one(i: int, user: int, due: float) -> None:
            body = payloads.body(i, user)
            status, error = 0, ""
            try:
                r = await client.post(path, json=body)
                status = r.status_code
                if status >= 300:
                    error = r.text[:200]
            except httpx.HTTPError as e:
                error = f"{type(e).__name__}: {e}"[:200]
            rec = RequestRecord(i, user, due, time.perf_counter() - t0 - due, status, error)
            result.records.append(rec)
            if on_done is not None:
                on_done(rec)

        if cfg.rate is None:
            counter = iter(range(cfg.requests))

            async def user_loop(user: int) -> None:
                for i in counter:
                    await one(i, user, time.perf_counter() - t0)

            await asyncio.gather(*(user_loop(u) for u in range(cfg.users)))
        else:
            slots = asyncio.Semaphore(cfg.users)

            async def scheduled(i: int) -> None:
                async with slots:
                    await one(i, i % cfg.users, i / cfg.rate)  # type: ignore[operator]

            tasks = []
            for i in range(cfg.requests):
                delay = t0 + i / cfg.rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(scheduled(i)))
            await asyncio.gather(*tasks)
        result.wall_s = time.perf_counter() - t0
    result.records.sort(key=lambda r: r.index)
    return result


def run_loadtest(cfg: LoadTestConfig, progress: bool = True) -> LoadTestResult:
    """Run the load test to completion, with a Rich progress bar when ``progress``."""
    if not progress:
        return asyncio.run(arun_loadtest(cfg))
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from semcom.train.progress import STDERR

    with Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=STDERR, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task(f"{cfg.endpoint} x {cfg.users} users", total=cfg.requests)
        return asyncio.run(arun_loadtest(cfg, lambda _: bar.advance(task)))
