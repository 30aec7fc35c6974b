"""Running the service: :func:`build_app` from a :class:`ServeConfig`, :func:`serve` in the
foreground (``semcom serve``), :class:`ServiceThread` in a background thread (tests),
:class:`ServiceProcess` in a child process (benchmarks, the ``003-table1`` recipe).

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

import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import torch
import uvicorn
from fastapi import FastAPI

from semcom.errors import SemcomError
from semcom.serving.app import create_app
from semcom.serving.config import ServeConfig
from semcom.serving.engine import Engine
from semcom.serving.engine_pool import EnginePool
from semcom.serving.process_engine import EngineSpec, ProcessEngine


def build_engine(config: ServeConfig) -> Engine:
    """Load ``config.checkpoint`` (a link or codec checkpoint, ``zoo:NAME`` or a path) into
    a model process of its own (``config.model_process``), into ``config.model_processes``
    of them behind an :class:`~semcom.serving.engine_pool.EnginePool`, or into this process.

    Unless ``config.threads`` says otherwise, the model processes share the cores but one
    (left to the event loop), at least one thread each."""
    n = config.model_processes
    threads = config.threads
    if n > 1 and not threads:
        threads = max(1, (torch.get_num_threads() - 1) // n)
    spec = EngineSpec(config.checkpoint, config.channel, config.device, config.refiner_steps,
                      config.forward_batch, threads, config.flat_memory)  # fmt: skip
    if not config.model_process:
        return spec.build()
    if n == 1:
        return ProcessEngine(spec)
    engines: list[Engine] = []
    try:
        for _ in range(n):
            engines.append(ProcessEngine(spec))
    except BaseException:  # one failed to load: stop those already up
        for e in engines:
            e.close()
        raise
    return EnginePool(engines)


def build_app(config: ServeConfig) -> FastAPI:
    """The app serving ``config.checkpoint`` (:func:`build_engine`) with ``config``."""
    return create_app(build_engine(config), config)


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
    check_port(host, port)
    uvicorn.Server(_uvicorn_config(app, host, port, log_level)).run()


def check_port(host: str, port: int) -> None:
    """Raise :class:`SemcomError` (one line, not uvicorn's traceback) if ``host:port``
    cannot be listened on (in use, no such interface, not allowed)."""
    try:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
    except (OSError, OverflowError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise SemcomError(f"cannot listen on {host}:{port}: {reason}") from None


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _rss(pid: int) -> int:
    """``VmRSS`` of ``pid``, bytes (0 when gone or not on Linux)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _process_tree(root: int) -> list[int]:
    """``root`` and its descendants (Linux ``/proc``; ``[root]`` elsewhere)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(parents.get(pid, []))
    return tree


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


class ServiceProcess:
    """Run ``semcom serve`` in a child process on a free port; ``with`` yields its base URL.

    A process of its own, so that a load generator in this process does not share the
    service's interpreter lock (benchmarks, the ``003-table1`` recipe). Leaving the block
    sends ``SIGINT`` (graceful: the queues drain) and waits for the exit.

    Args:
        args: ``semcom serve`` options, e.g. ``["--checkpoint", "zoo:NAME", "--max-batch", "1"]``.
        host: interface to listen on.
        start_timeout_s: how long to wait for ``/healthz``.
    """

    def __init__(
        self, args: list[str], host: str = "127.0.0.1", start_timeout_s: float = 120.0
    ) -> None:
        self.args, self.host, self.start_timeout_s = args, host, start_timeout_s
        self.port = free_port(host)
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    def rss_bytes(self) -> int:
        """Resident set size of the service and its child processes (the model process),
        bytes (Linux ``/proc``; 0 elsewhere)."""
        assert self.proc is not None
        return sum(_rss(pid) for pid in _process_tree(self.proc.pid))

    def __enter__(self) -> str:
        import httpx

        cmd = [sys.executable, "-m", "semcom.cli.serve", "--host", self.host,
               "--port", str(self.port), "--log-level", "warning", *self.args]  # fmt: skip
        # stderr to a file, not a pipe: a service that logs a lot must never block on it
        self._log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self._log)
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._log.seek(0)
                err = self._log.read().decode(errors="replace")
                self.__exit__(None, None, None)
                raise SemcomError(f"semcom serve exited at start: {err.strip()[-500:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self.url
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise SemcomError(f"semcom serve did not answer on {self.url} within "
                          f"{self.start_timeout_s:g} s")  # fmt: skip

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log is not None:
            self._log.close()
