"""The FastAPI application of the MU-GSC service.

``create_app(engine, config)`` returns an ASGI app with

* ``POST /v1/decode`` — received symbols (+ SNR, optional CSI) -> reconstructed image;
* ``POST /v1/transmit`` — an image -> simulated uplink -> refined image;
* ``GET /v1/info`` — what clients need (``k``, tile shape, limits);
* ``GET /healthz``, ``GET /metrics`` (Prometheus), ``GET /docs`` and ``/openapi.json``.

Requests are validated before anything reaches the model: every 4xx body is
``{"error": ..., "field": ...}``. Decode and transmit requests go through their own
:class:`~semcom.serving.batcher.MicroBatcher`; both batchers share one worker thread, so
one batched forward runs at a time. Shutdown drains both queues, then closes the engine.

Example:
    >>> import httpx, semcom
    >>> from semcom.serving import ServeConfig
    >>> from semcom.serving.app import create_app
    >>> from semcom.serving.engine import LinkEngine
    >>> from semcom.serving.server import ServiceThread
    >>> app = create_app(LinkEngine(semcom.load("zoo:deepjscc-cifar10-awgn")), ServeConfig())
    >>> with ServiceThread(app) as url:
    ...     httpx.get(f"{url}/v1/info").json()["k"]
    512
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
import struct
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

import torch
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from semcom.metrics import psnr
from semcom.serving.batcher import MicroBatcher, QueueFullError, ShuttingDownError
from semcom.serving.cache import LRUCache, payload_key
from semcom.serving.config import SNR_RANGE_DB, ServeConfig
from semcom.serving.engine import DecodeJob, Engine, TransmitJob
from semcom.serving.metrics import CONTENT_TYPE, ServiceMetrics
from semcom.serving.payloads import PayloadError, image_to_png_base64, parse_image, parse_symbols
from semcom.serving.schemas import DecodeRequest, ErrorResponse, ImageResponse, TransmitRequest
from semcom.tiling import tile_image, untile

LOG = logging.getLogger("semcom.serving")

# Module level: FastAPI resolves the dependencies' (string) annotations in this namespace.
_API_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False)
_BEARER = HTTPBearer(auto_error=False)

#: Seconds a client is told to wait after a 503.
RETRY_AFTER_S = 1


class ServiceError(Exception):
    """An error answer: HTTP ``status``, ``message`` and (bad input) ``field``."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def _error(status: int, message: str, field: str | None = None, **headers: str) -> JSONResponse:
    body = ErrorResponse(error=message, field=field).model_dump()
    return JSONResponse(body, status_code=status, headers=headers or None)


# -- ASGI middlewares (plain ASGI: no per-request task overhead) -----------------------


class BodyLimit:
    """Answer 413 to bodies over ``max_bytes`` (by ``Content-Length``, or while streaming)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_big = _error(413, f"request body over the limit of {self.max_bytes} bytes", "body")
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    if int(value) > self.max_bytes:
                        await too_big(scope, receive, send)
                        return
                except ValueError:
                    bad = _error(400, "Content-Length is not a number", "body")
                    await bad(scope, receive, send)
                    return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLargeError
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLargeError:
            if not started:
                await too_big(scope, receive, send)


class _BodyTooLargeError(Exception):
    pass


_REASONS = {400: "invalid", 401: "unauthorized", 404: "not_found", 405: "invalid",
            413: "too_large", 422: "invalid", 500: "internal", 503: "overloaded",
            504: "timeout"}  # fmt: skip


class RequestMetrics:
    """Count every answered request by endpoint and status, and time it."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        endpoint = path.rsplit("/", 1)[-1] if path.startswith("/v1/") else "other"
        if endpoint not in ("decode", "transmit", "info"):
            endpoint = "other"
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.metrics.observe_request(endpoint, status, time.perf_counter() - start)
            if status >= 400:
                self.metrics.errors.labels(endpoint, _REASONS.get(status, str(status))).inc()


# -- the application ------------------------------------------------------------------


_UNION_TAGS = {"str", "int", "float", "bool", "list", "dict", "none"}


def _is_union_tag(part: object) -> bool:
    """Whether a pydantic error location part names a union member, not a field."""
    return isinstance(part, str) and (part in _UNION_TAGS or "[" in part)


def _first_error(exc: RequestValidationError) -> tuple[str, str]:
    """``(field, message)`` of the first pydantic error, the field as a dotted path."""
    errors = exc.errors()
    if not errors:
        return "body", "invalid request"
    err = errors[0]
    loc = [str(p) for p in err.get("loc", ()) if p != "body" and not _is_union_tag(p)]
    if err.get("type") == "json_invalid":
        return "body", "the body is not valid JSON"
    field = ".".join(loc) or "body"
    msg = str(err.get("msg", "invalid value"))
    if err.get("type") == "extra_forbidden":
        msg = f"unknown field {loc[-1]!r}" if loc else "unknown field"
    elif err.get("type") == "missing":
        msg = f"{field} is required"
    else:
        msg = f"{field}: {msg}"
    return field, msg


def _as_service_error(e: Exception) -> ServiceError:
    """The answer to a batcher failure."""
    if isinstance(e, QueueFullError):
        return ServiceError(503, f"overloaded: {e}; retry later")
    if isinstance(e, ShuttingDownError):
        return ServiceError(503, "the service is shutting down")
    if isinstance(e, TimeoutError):
        return ServiceError(504, "no answer within the service's timeout")
    LOG.error("batch failed: %r", e, exc_info=e)
    return ServiceError(500, f"internal error while decoding: {type(e).__name__}")


def create_app(engine: Engine, config: ServeConfig) -> FastAPI:
    """The ASGI application serving ``engine`` with ``config``'s limits (module docstring)."""
    metrics = ServiceMetrics()
    cache = LRUCache(config.cache_entries)
    inflight: dict[str, asyncio.Future[Any]] = {}
    # an engine that queues batches (a model process) gets the next while one runs
    in_flight = max(1, int(getattr(engine, "in_flight", 1)))
    executor = ThreadPoolExecutor(in_flight, thread_name_prefix="semcom-model")
    common = {"max_batch": config.max_batch, "max_wait_ms": config.max_wait_ms,
              "queue_size": config.queue_size, "executor": executor,
              "in_flight": in_flight}  # fmt: skip
    batchers = {
        "decode": MicroBatcher(engine.decode_batch, on_batch=metrics.batch_hook("decode"),
                               **common),  # type: ignore[arg-type]
        "transmit": MicroBatcher(engine.transmit_batch, on_batch=metrics.batch_hook("transmit"),
                                 **common),  # type: ignore[arg-type]
    }  # fmt: skip
    for name, b in batchers.items():
        metrics.track_depth(name, lambda b=b: b.depth)  # type: ignore[misc]

    def closing() -> bool:
        """Shutdown has begun (the lifespan closes the batchers)."""
        return any(b.closing for b in batchers.values())

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        for b in batchers.values():
            await b.start()
        info = engine.info()
        LOG.info("serving %s on %s", info.get("codec"), info.get("device"))
        try:
            yield
        finally:
            for b in batchers.values():
                await b.close()  # drains: every accepted request is answered
            executor.shutdown(wait=True)
            engine.close()

    app = FastAPI(
        title="semcom MU-GSC decoding service",
        version="1",
        description="Asynchronous multi-user semantic decoding (paper 003, Sec. III-E): "
        "requests are micro-batched into one forward of the GSC link.",
        lifespan=lifespan,
        responses={
            401: {"model": ErrorResponse}, 413: {"model": ErrorResponse},
            422: {"model": ErrorResponse}, 503: {"model": ErrorResponse},
        },
    )  # fmt: skip
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes)
    app.add_middleware(RequestMetrics, metrics=metrics)
    app.state.metrics = metrics
    app.state.cache = cache

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        field, msg = _first_error(exc)
        return _error(422, msg, field)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        return _error(exc.status_code, str(exc.detail), None, **headers)

    @app.exception_handler(PayloadError)
    async def _payload(_: Request, exc: PayloadError) -> JSONResponse:
        return _error(exc.status, exc.message, exc.field)

    @app.exception_handler(ServiceError)
    async def _service(_: Request, exc: ServiceError) -> JSONResponse:
        headers = {"Retry-After": str(RETRY_AFTER_S)} if exc.status == 503 else {}
        return _error(exc.status, exc.message, exc.field, **headers)

    async def require_key(
        key: Annotated[str | None, Depends(_API_KEY_HEADER)],
        auth: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
    ) -> None:
        if config.api_key is None:
            return
        given = key or (auth.credentials if auth is not None else None)
        if given is None or not secrets.compare_digest(given.encode(), config.api_key.encode()):
            raise StarletteHTTPException(
                401, "missing or wrong API key (X-API-Key header or Authorization: Bearer)",
                headers={"WWW-Authenticate": "Bearer"},
            )  # fmt: skip

    guarded = [Depends(require_key)]

    async def run(
        endpoint: str, key: str, payload: Any, size: int, finish: Callable[[Any], dict[str, Any]]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(answer, timing)``: the cached answer for ``key``, or ``payload`` run through
        ``endpoint``'s batcher and turned into the answer's fields by ``finish`` (the
        encoded image, ~4 KB per 32x32 tile: what the cache keeps)."""
        start = time.perf_counter()
        hit = cache.get(key)
        if hit is not None or key in inflight:
            metrics.cache_hits.inc()
            result = hit if hit is not None else await asyncio.shield(inflight[key])
            ms = (time.perf_counter() - start) * 1000
            return result, {"queue_ms": 0.0, "compute_ms": 0.0, "total_ms": ms,
                            "batch_size": 0, "cached": True}  # fmt: skip
        metrics.cache_misses.inc()
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        inflight[key] = fut
        try:
            result, stats = await batchers[endpoint].submit_with_stats(
                payload, size, config.timeout_s
            )
        except Exception as e:
            err = _as_service_error(e)
            fut.set_exception(err)
            fut.exception()  # retrieved: coalesced waiters (if any) get it too
            raise err from None
        finally:
            inflight.pop(key, None)
        answer = finish(result)
        fut.set_result(answer)
        cache.put(key, answer)
        return answer, {
            "queue_ms": stats.queue_s * 1000, "compute_ms": stats.compute_s * 1000,
            "total_ms": (time.perf_counter() - start) * 1000, "batch_size": stats.batch_size,
            "cached": False,
        }  # fmt: skip

    def _encoded(image: torch.Tensor, tiles: int, psnr_db: float | None = None) -> dict[str, Any]:
        return {"image_png_base64": image_to_png_base64(image), "shape": list(image.shape),
                "tiles": tiles, "psnr_db": psnr_db}  # fmt: skip

    def _respond(user_id: str, answer: dict[str, Any], timing: dict[str, Any]) -> ImageResponse:
        cached = bool(timing.pop("cached"))
        return ImageResponse(user_id=user_id, cached=cached, timing=timing, **answer)  # type: ignore[arg-type]

    c, th, tw = engine.tile_shape

    @app.post("/v1/decode", response_model=ImageResponse, dependencies=guarded,
              summary="Received symbols -> reconstructed image")  # fmt: skip
    async def decode(req: DecodeRequest) -> ImageResponse:
        if closing():
            raise ServiceError(503, "the service is shutting down")
        y = parse_symbols(req.symbols, "symbols")
        csi = parse_symbols(req.csi, "csi") if req.csi is not None else None
        h, w = req.image_size if req.image_size is not None else (th, tw)
        tiles = math.ceil(h / th) * math.ceil(w / tw)
        if tiles > config.max_tiles:
            raise ServiceError(413, f"image_size {h}x{w} needs {tiles} tiles of {th}x{tw}; "
                               f"this service takes at most {config.max_tiles}",
                               "image_size")  # fmt: skip
        if len(y) != tiles * engine.k:
            where = f" ({tiles} tiles of {th}x{tw} for {h}x{w})" if req.image_size else ""
            raise ServiceError(422, f"symbols holds {len(y)} complex values; the model takes "
                               f"{engine.k} per tile, {tiles * engine.k} in all{where}",
                               "symbols")  # fmt: skip
        if csi is not None and len(csi) != len(y):
            raise ServiceError(422, f"csi holds {len(csi)} values for {len(y)} symbols", "csi")
        y2 = y.reshape(tiles, engine.k)
        raw_csi = b"" if csi is None else csi.tobytes()
        key = payload_key(b"decode", y2.tobytes(), struct.pack("<d", req.snr_db), raw_csi,
                          struct.pack("<2q", h, w))  # fmt: skip
        job = DecodeJob(y2, req.snr_db, None if csi is None else csi.reshape(tiles, engine.k))
        grid = (math.ceil(h / th), math.ceil(w / tw))

        def finish(out: torch.Tensor) -> dict[str, Any]:
            image = out[0] if req.image_size is None else untile(out, grid, (h, w))
            return _encoded(image, tiles)

        answer, timing = await run("decode", key, job, tiles, finish)
        return _respond(req.user_id, answer, timing)

    @app.post("/v1/transmit", response_model=ImageResponse, dependencies=guarded,
              summary="Image -> simulated uplink at snr_db -> refined image")  # fmt: skip
    async def transmit(req: TransmitRequest) -> ImageResponse:
        if closing():
            raise ServiceError(503, "the service is shutting down")
        max_pixels = config.max_tiles * th * tw
        image = parse_image(req.image_png_base64, "image_png_base64", c, max_pixels)
        tiles, grid = tile_image(image, (th, tw))
        if len(tiles) > config.max_tiles:
            raise ServiceError(413, f"the image needs {len(tiles)} tiles; at most "
                               f"{config.max_tiles}", "image_png_base64")  # fmt: skip
        key = payload_key(b"transmit", image.numpy().tobytes(), struct.pack("<d", req.snr_db),
                          str(req.seed).encode())  # fmt: skip
        seed = req.seed if req.seed is not None else int(key[:15], 16)

        def finish(out: torch.Tensor) -> dict[str, Any]:
            received = untile(out, grid, (image.shape[1], image.shape[2]))
            quality = float(psnr(received.unsqueeze(0), image.unsqueeze(0)).mean())
            return _encoded(received, len(tiles), quality)

        job = TransmitJob(tiles, req.snr_db, seed)
        answer, timing = await run("transmit", key, job, len(tiles), finish)
        return _respond(req.user_id, answer, timing)

    @app.get("/v1/info", dependencies=guarded, summary="Model and limits")
    async def info() -> dict[str, Any]:
        return {**engine.info(), "max_wait_ms": config.max_wait_ms,
                "queue_size": config.queue_size, "timeout_s": config.timeout_s,
                "max_tiles": config.max_tiles, "max_body_bytes": config.max_body_bytes,
                "snr_range_db": list(SNR_RANGE_DB)}  # fmt: skip

    @app.get("/healthz", summary="Liveness and queue depth")
    async def healthz() -> JSONResponse:
        body = {"status": "shutting down" if closing() else "ok",
                "queue": {n: b.depth for n, b in batchers.items()},
                "cache_entries": len(cache)}  # fmt: skip
        return JSONResponse(body, status_code=503 if closing() else 200)

    @app.get("/metrics", dependencies=guarded, summary="Prometheus metrics",
             response_class=Response)  # fmt: skip
    async def prometheus() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    return app


__all__ = ["ServiceError", "create_app"]
