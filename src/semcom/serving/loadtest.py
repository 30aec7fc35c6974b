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
import contextlib
import csv
import io
import json
import secrets
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

from semcom.errors import SemcomError

ENDPOINTS = ("decode", "transmit")
#: Request bodies drawn at once by the generator.
CHUNK = 256
_JSON = {"content-type": "application/json"}


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
    """Fresh request bodies (JSON bytes), reproducible from the seed.

    Bodies are drawn :data:`CHUNK` at a time from a generator seeded with ``(seed, chunk)``
    (one vectorised draw per chunk), so the generator's own cost per request stays small
    beside the service's.
    """

    def __init__(self, cfg: LoadTestConfig, info: dict[str, Any]) -> None:
        self.cfg = cfg
        self.k = int(info["k"])
        self.tile_shape = tuple(int(v) for v in info["tile_shape"])
        self._chunks: dict[int, list[tuple[float, str]]] = {}

    def _chunk(self, c: int) -> list[tuple[float, str]]:
        """``(snr_db, base64 payload)`` of requests ``c * CHUNK ...``."""
        rng = np.random.default_rng([int(self.cfg.seed or 0), c])
        snrs = rng.uniform(*self.cfg.snr_range_db, size=CHUNK).round(3)
        if self.cfg.endpoint == "decode":
            z = rng.standard_normal((CHUNK, 2, self.k), dtype=np.float32) / np.float32(2**0.5)
            raw = np.ascontiguousarray(z.transpose(0, 2, 1))  # [CHUNK, k, (re, im)] = <c8
            data = [base64.b64encode(r.tobytes()).decode("ascii") for r in raw]
        else:
            c_, h, w = self.tile_shape
            arrs = rng.integers(0, 256, size=(CHUNK, h, w, c_), dtype=np.uint8)
            data = []
            for arr in arrs:
                buf = io.BytesIO()
                Image.fromarray(arr[..., 0] if c_ == 1 else arr).save(buf, format="PNG")
                data.append(base64.b64encode(buf.getvalue()).decode("ascii"))
        return list(zip(snrs.tolist(), data, strict=True))

    def body(self, i: int, user: int) -> bytes:
        """The JSON body of request ``i`` sent by ``user``."""
        c = i // CHUNK
        chunk = self._chunks.get(c)
        if chunk is None:
            chunk = self._chunks[c] = self._chunk(c)
            for old in [k for k in self._chunks if k < c - 1]:  # users trail by < a chunk
                del self._chunks[old]
        snr, data = chunk[i % CHUNK]
        field = "symbols" if self.cfg.endpoint == "decode" else "image_png_base64"
        return json.dumps({"user_id": f"user-{user}", "snr_db": snr, field: data}).encode()


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
    """Run the load test (coroutine); ``on_done`` is called after each request.

    Each user has an ``httpx.AsyncClient`` of its own (one keep-alive connection): one
    shared pool of many connections costs httpx time per request that grows with their
    number (about 2.5 ms at 32 and 8 ms at 64 connections on a 2-core CPU), so the
    generator, not the service, would set the pace.
    """
    headers = {"X-API-Key": cfg.api_key} if cfg.api_key else {}
    one_connection = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    timeout = httpx.Timeout(cfg.timeout_s)
    result = LoadTestResult(cfg)
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(httpx.AsyncClient(
                base_url=cfg.url, headers=headers, limits=one_connection, timeout=timeout
            ))
            for _ in range(cfg.users)
        ]  # fmt: skip
        payloads = _Payloads(cfg, await _fetch_info(clients[0]))
        path = f"/v1/{cfg.endpoint}"
        t0 = time.perf_counter()

        async def one(i: int, user: int, due: float) -> None:
            body = payloads.body(i, user)
            status, error = 0, ""
            try:
                r = await clients[user].post(path, content=body, headers=_JSON)
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
            idle: asyncio.Queue[int] = asyncio.Queue()  # users free to send
            for u in range(cfg.users):
                idle.put_nowait(u)

            async def scheduled(i: int) -> None:
                user = await idle.get()
                try:
                    await one(i, user, i / cfg.rate)  # type: ignore[operator]
                finally:
                    idle.put_nowait(user)

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


def _run(coro: Coroutine[Any, Any, LoadTestResult]) -> LoadTestResult:
    """Run ``coro`` on uvloop where it is installed (a lighter client), else asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


def run_loadtest(cfg: LoadTestConfig, progress: bool = True) -> LoadTestResult:
    """Run the load test to completion, with a Rich progress bar when ``progress``."""
    if not progress:
        return _run(arun_loadtest(cfg))
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from semcom.train.progress import STDERR

    with Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=STDERR, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task(f"{cfg.endpoint} x {cfg.users} users", total=cfg.requests)
        return _run(arun_loadtest(cfg, lambda _: bar.advance(task)))
