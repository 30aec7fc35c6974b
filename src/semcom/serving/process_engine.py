"""The model in a process of its own (``semcom serve``'s default; ``--in-process`` opts out).

A forward of the GSC link dispatches thousands of small operators, and each dispatch takes
Python's interpreter lock. In one process the event loop, busy parsing requests and
encoding answers, holds that lock for up to a switch interval (5 ms) at a time, and the
model waits at every operator: on a 2-core CPU a batch of 16 took about 145 ms in the
service against 40-60 ms alone. :class:`ProcessEngine` runs a
:class:`~semcom.serving.engine.LinkEngine` in a child process (``spawn``) with an
interpreter of its own; jobs and results cross a pipe as NumPy arrays (about 4 KB of
symbols in and 12 KB of pixels out per 32x32 tile). Unless told otherwise (``threads``) the
child leaves one core to the event loop: torch's intra-op threads wait for each other at
every operator, and one preempted by the event loop stalls the rest.

* the child loads the link; a load error comes back as a one-line :class:`SemcomError`;
* batches may be sent while earlier ones run (``in_flight``, the service's micro-batcher
  uses it): the child reads them from its pipe in order and answers in order, so it never
  waits for the service to hand it the next one;
* a failing batch fails only its requests (the child answers with the error);
* a child that dies (killed, out of memory) fails the batches it held and is started
  again for the next one;
* the child ignores ``SIGINT`` (a Ctrl-C reaches the whole process group): the service
  drains its queues through it first, then :meth:`ProcessEngine.close` stops it.

Example:
    >>> import numpy as np
    >>> from semcom.serving.engine import DecodeJob
    >>> from semcom.serving.process_engine import EngineSpec, ProcessEngine
    >>> with ProcessEngine(EngineSpec("zoo:deepjscc-cifar10-awgn", device="cpu")) as engine:
    ...     y = np.zeros((2, engine.k), dtype=np.complex64)
    ...     [img.shape for img in engine.decode_batch([DecodeJob(y, 10.0, None)])]
    [torch.Size([2, 3, 32, 32])]
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import pickle
import signal
import threading
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

import numpy as np
import torch

from semcom.device import resolve_device
from semcom.errors import SemcomError
from semcom.serving.engine import DecodeJob, LinkEngine, TransmitJob


@dataclass(frozen=True)
class EngineSpec:
    """What the child process loads and how it runs it (``ServeConfig``'s fields of the
    same names)."""

    checkpoint: str
    channel: str | None = None
    device: str = "auto"
    refiner_steps: int | None = None
    forward_batch: int = 16
    threads: int = 0
    flat_memory: bool = True

    def build(self, threads: int | None = None) -> LinkEngine:
        """Load the link into a :class:`LinkEngine` in this process (``threads`` overrides
        ``self.threads``)."""
        from semcom.zoo import load

        link = load(self.checkpoint, channel=self.channel, device=resolve_device(self.device),
                    refiner_steps=self.refiner_steps)  # fmt: skip
        threads = self.threads if threads is None else threads
        return LinkEngine(link, self.forward_batch, threads, self.flat_memory)


def _send(conn: Connection, obj: Any) -> None:
    conn.send_bytes(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def _recv(conn: Connection) -> Any:
    return pickle.loads(conn.recv_bytes())


def _child(conn: Connection, spec: EngineSpec) -> None:
    """The child's loop: load, say ``ready`` with the engine's facts, then answer
    ``(method, jobs)`` with ``("ok", [arrays])`` or ``("error", text)`` until ``None``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        from semcom.serving.memory import pin_malloc_thresholds

        if spec.flat_memory:
            pin_malloc_thresholds()
        # unless told otherwise, leave a core to the service's event loop
        engine = spec.build(spec.threads or max(1, torch.get_num_threads() - 1))
    except Exception as e:  # every load failure goes back as one line
        text = str(e) if isinstance(e, SemcomError) else f"{type(e).__name__}: {e}"
        _send(conn, ("error", text))
        return
    _send(conn, ("ready", engine.info(), engine.k, engine.tile_shape))
    while True:
        try:
            msg = _recv(conn)
        except (EOFError, OSError):  # the parent is gone
            return
        if msg is None:
            return
        method, jobs = msg
        try:
            if method == "transmit_batch":
                jobs = [TransmitJob(torch.from_numpy(t), s, seed) for t, s, seed in jobs]
            out = getattr(engine, method)(jobs)
            _send(conn, ("ok", [o.numpy() for o in out]))
        except Exception as e:  # a failed batch fails its jobs only
            _send(conn, ("error", f"{type(e).__name__}: {e}"))


class _Slot:
    """One batch's answer, ``("ok", arrays)`` or ``("error", text)``, once it has come."""

    def __init__(self) -> None:
        self.done = False
        self.status = ""
        self.payload: Any = None

    def answer(self, status: str, payload: Any) -> None:
        self.status, self.payload, self.done = status, payload, True


class ProcessEngine:
    """A :class:`~semcom.serving.engine.LinkEngine` in a child process, with its interface
    (``k``, ``tile_shape``, ``info()``, ``decode_batch``, ``transmit_batch``).

    Args:
        spec: what to load and how.
        start_timeout_s: longest wait for the child to load the link, s.
    """

    def __init__(self, spec: EngineSpec, start_timeout_s: float = 600.0) -> None:
        self.spec, self.start_timeout_s = spec, start_timeout_s
        self._ctx = mp.get_context("spawn")
        self._proc: Any = None
        self._conn: Connection | None = None
        self._send_lock = threading.Lock()  # one batch written at a time, in order
        self._recv_lock = threading.Lock()  # one reader of the answers at a time
        self._pending: deque[_Slot] = deque()  # sent, not yet answered, oldest first
        self._info: dict[str, Any] = {}
        self.k = 0
        self.tile_shape: tuple[int, int, int] = (0, 0, 0)
        self.restarts = 0
        self._start()

    @property
    def device(self) -> str:
        """Where the child runs the model."""
        return str(self._info.get("device", "?"))

    @property
    def pid(self) -> int | None:
        """The child's process id (``None`` once closed)."""
        return None if self._proc is None else int(self._proc.pid)

    def info(self) -> dict[str, Any]:
        """The child engine's :meth:`~semcom.serving.engine.LinkEngine.info`, plus
        ``model_process: True``."""
        return {**self._info, "model_process": True}

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(
            target=_child, args=(child, self.spec), name="semcom-model", daemon=True
        )
        proc.start()
        child.close()
        if not parent.poll(self.start_timeout_s):
            proc.kill()
            raise SemcomError(f"the model process did not load {self.spec.checkpoint} "
                              f"within {self.start_timeout_s:.0f} s")  # fmt: skip
        try:
            msg = _recv(parent)
        except (EOFError, OSError):
            proc.join(5)
            raise SemcomError(
                f"the model process exited while loading (code {proc.exitcode})"
            ) from None
        if msg[0] == "error":
            proc.join(5)
            raise SemcomError(msg[1])
        _, self._info, self.k, tile_shape = msg
        self.tile_shape = tuple(tile_shape)
        self._proc, self._conn = proc, parent

    #: Batches the service may hand the child at once (the next waits in its pipe).
    in_flight = 2

    def _call(self, method: str, jobs: list[Any]) -> list[torch.Tensor]:
        slot = _Slot()
        with self._send_lock:
            if self._conn is None:
                raise RuntimeError("the model process is closed")
            if not self._proc.is_alive():
                with self._recv_lock:  # the dead child's batches have all failed
                    self._fail_pending(self._proc.exitcode)
                    self.restarts += 1
                    self._start()
            conn = self._conn
            assert conn is not None
            self._pending.append(slot)  # before sending: its answer may come at once
            with contextlib.suppress(OSError):  # the child is gone: the reader fails it
                _send(conn, (method, jobs))
        with self._recv_lock:
            while not slot.done:
                try:
                    status, payload = _recv(conn)
                except (EOFError, OSError):
                    self._proc.join(5)
                    self._fail_pending(self._proc.exitcode)
                    break
                self._pending.popleft().answer(status, payload)
        if slot.status != "ok":
            raise RuntimeError(slot.payload)
        return [torch.from_numpy(a) for a in slot.payload]

    def _fail_pending(self, exitcode: int | None) -> None:
        """Fail every batch the (dead) child held; call with the receive lock held."""
        while self._pending:
            self._pending.popleft().answer(
                "error", f"the model process exited (code {exitcode}) during this batch; it "
                "is started again",
            )  # fmt: skip

    def decode_batch(self, jobs: list[DecodeJob]) -> list[torch.Tensor]:
        """:meth:`LinkEngine.decode_batch <semcom.serving.engine.LinkEngine.decode_batch>`
        in the child: per job ``[n, C, h, w] float32`` in [0, 1]."""
        return self._call("decode_batch", jobs)

    def transmit_batch(self, jobs: list[TransmitJob]) -> list[torch.Tensor]:
        """:meth:`LinkEngine.transmit_batch <semcom.serving.engine.LinkEngine.transmit_batch>`
        in the child: per job ``[n, C, h, w] float32`` in [0, 1]."""
        raw = [(np.ascontiguousarray(j.tiles.numpy()), j.snr_db, j.seed) for j in jobs]
        return self._call("transmit_batch", raw)

    def close(self) -> None:
        """Stop the child (after the batches in flight; idempotent)."""
        with self._send_lock, self._recv_lock:
            if self._conn is not None:
                with contextlib.suppress(OSError):
                    _send(self._conn, None)
                self._conn.close()
                self._conn = None
            if self._proc is not None:
                self._proc.join(30)
                if self._proc.is_alive():
                    self._proc.kill()
                    self._proc.join(5)
                self._proc = None

    def __enter__(self) -> ProcessEngine:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.close()


__all__ = ["EngineSpec", "ProcessEngine"]
