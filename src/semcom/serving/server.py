"""Running the service: :func:`build_app` from a :class:`ServeConfig`, :func:`serve` in the
foreground (``semcom serve``), :class:`ServiceThread` in a background thread (tests,
benchmarks, the ``003-table1`` recipe).

Uvicorn handles ``SIGINT`` / ``SIGTERM``: it stops accepting connections, lets open requests
finish, then the app's shutdown drains the batch queues.

Example:
    >>> import httpx
    >>> from semcom.serving.server import ServiceThread, build_app
    >>> from semcom.serving import ServeConfig
    >>> with ServiceThread(build_app(ServeConfig("zoo:deepjscc-cifar10-awgn"))) as url:
    ...     httpx.get(f"{url}/healthz").json()["status"]
    'ok'
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn
from fastapi import FastAPI

from semcom.device import resolve_device
from semcom.errors import SemcomError
from semcom.serving.app import create_app
from semcom.serving.config import ServeConfig
from semcom.serving.engine import LinkEngine


def build_app(config: ServeConfig) -> FastAPI:
    """Load ``config.checkpoint`` (a link or codec checkpoint, ``zoo:NAME`` or a path) and
    return the app serving it."""
    from semcom.zoo import load

    link = load(
        config.checkpoint,
        channel=config.channel,
        device=resolve_device(config.device),
        refiner_steps=config.refiner_steps,
    )
    return create_app(LinkEngine(link, config.max_batch, config.threads), config)


def _uvicorn_config(app: FastAPI, host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=60,
        lifespan="on",
        ws="none",
    )


def serve(app: FastAPI, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info") -> None:
    """Serve ``app`` until interrupted (``SIGINT`` / ``SIGTERM`` drain it first)."""
    try:
        with socket.socket() as s:  # a clear error instead of uvicorn's traceback
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
    except OSError as e:
        raise SemcomError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    uvicorn.Server(_uvicorn_config(app, host, port, log_level)).run()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class ServiceThread:
    """Serve an app from a background thread; ``with`` yields its base URL.

    Leaving the block shuts it down gracefully (open requests finish, queues drain).
    """

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host, self.port = host, port or free_port(host)
        self.server = uvicorn.Server(_uvicorn_config(app, self.host, self.port, "warning"))
        self._thread = threading.Thread(target=self.server.run, name="semcom-serve", daemon=True)

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> str:
        self._thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise SemcomError(f"the service did not start on {self.url}")
            time.sleep(0.01)
        return self.url

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.server.should_exit = True
        self._thread.join(timeout=120)
