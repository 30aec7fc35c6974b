"""Several model processes behind one engine (``semcom serve --model-processes N``).

One :class:`~semcom.serving.process_engine.ProcessEngine` runs one batch at a time on its
threads. On a CPU the link's batched forward scales poorly over torch's intra-op threads
(they wait for each other at every one of its thousands of small operators, and one
preempted by the event loop stalls the rest), so a second core is better spent on a
second model process running another batch. :class:`EnginePool` hands each batch to the
engine with the fewest batches in flight; its ``in_flight`` is the sum of theirs, so the
service's micro-batcher keeps every process busy.

Measured on the 2-core CPU machine (``zoo:gsc-cifar10-awgn``, 32 users,
``benchmarks/bench_serving.py``, one run): two processes of one thread each served 231
requests/s against 162 for one process (p99 217 against 235 ms); three served fewer than two
(206-216 against 225-232 requests/s). Each process holds its own copy of the model.

Example:
    >>> import numpy as np
    >>> from semcom.serving.engine import DecodeJob
    >>> from semcom.serving.engine_pool import EnginePool
    >>> from semcom.serving.process_engine import EngineSpec, ProcessEngine
    >>> spec = EngineSpec("zoo:deepjscc-cifar10-awgn", device="cpu", threads=1)
    >>> with EnginePool([ProcessEngine(spec), ProcessEngine(spec)]) as pool:
    ...     y = np.zeros((2, pool.k), dtype=np.complex64)
    ...     [img.shape for img in pool.decode_batch([DecodeJob(y, 10.0, None)])]
    [torch.Size([2, 3, 32, 32])]
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

import torch

from semcom.serving.engine import DecodeJob, Engine, TransmitJob


class EnginePool:
    """Engines of the same link (same ``k`` and ``tile_shape``), with the interface of one.

    Args:
        engines: at least one engine; the pool owns them (:meth:`close` closes each).

    Raises:
        ValueError: no engine, or engines of different links.
    """

    def __init__(self, engines: Sequence[Engine]) -> None:
        if not engines:
            raise ValueError("an engine pool needs at least one engine")
        first = engines[0]
        for e in engines[1:]:
            if (e.k, e.tile_shape) != (first.k, first.tile_shape):
                raise ValueError(
                    f"engines of different links in one pool: k {e.k} tiles {e.tile_shape} "
                    f"against k {first.k} tiles {first.tile_shape}"
                )
        self.engines = list(engines)
        self._lock = threading.Lock()
        self._busy = [0] * len(self.engines)  # batches in flight per engine

    @property
    def k(self) -> int:
        """Complex channel uses per tile."""
        return int(self.engines[0].k)

    @property
    def tile_shape(self) -> tuple[int, int, int]:
        """``(C, h, w)`` of one tile."""
        return self.engines[0].tile_shape

    @property
    def in_flight(self) -> int:
        """Batches the service may hand the pool at once (the sum of its engines')."""
        return sum(max(1, int(getattr(e, "in_flight", 1))) for e in self.engines)

    @property
    def busy(self) -> list[int]:
        """Batches in flight on each engine now."""
        with self._lock:
            return list(self._busy)

    def info(self) -> dict[str, Any]:
        """The first engine's ``info()`` plus ``model_processes``, the pool's size."""
        return {**self.engines[0].info(), "model_processes": len(self.engines)}

    def _on_least_busy(self, call: Callable[[Engine], list[torch.Tensor]]) -> list[torch.Tensor]:
        with self._lock:
            i = min(range(len(self._busy)), key=self._busy.__getitem__)
            self._busy[i] += 1
        try:
            return call(self.engines[i])
        finally:
            with self._lock:
                self._busy[i] -= 1

    def decode_batch(self, jobs: list[DecodeJob]) -> list[torch.Tensor]:
        """Per job ``[n, C, h, w] float32`` in [0, 1], from the least busy engine."""
        return self._on_least_busy(lambda e: e.decode_batch(jobs))

    def transmit_batch(self, jobs: list[TransmitJob]) -> list[torch.Tensor]:
        """Per job ``[n, C, h, w] float32`` in [0, 1], from the least busy engine."""
        return self._on_least_busy(lambda e: e.transmit_batch(jobs))

    def close(self) -> None:
        """Close every engine (each after its batches in flight)."""
        for e in self.engines:
            e.close()

    def __enter__(self) -> EnginePool:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.close()


__all__ = ["EnginePool"]
