"""The asynchronous micro-batcher: requests queue, one worker batches them.

Each endpoint owns a :class:`MicroBatcher`. :meth:`MicroBatcher.submit` enqueues a job
(its ``size`` is how many images / tiles it holds) and awaits its result. The worker takes
the first waiting job, then keeps collecting until the batch holds ``max_batch`` images or
``max_wait_ms`` have passed, runs ``run_batch`` on all of them at once in an executor thread
(the event loop stays free to accept and parse requests meanwhile) and hands each job its
result. A job larger than ``max_batch`` runs alone (``run_batch`` splits it). With
``in_flight`` > 1 the worker forms the next batch while earlier ones run (up to
``in_flight`` batches at once): an engine that queues them (a model process) then finds its
next batch waiting when it finishes one, instead of idling through the hand-back.

* a full queue raises :class:`QueueFullError` at once (the service answers 503 + ``Retry-After``);
* a job not answered within ``timeout_s`` raises :class:`TimeoutError`; if it has not started
  yet it is dropped from its batch;
* :meth:`close` refuses new jobs (:class:`ShuttingDownError`) and drains the queue before it
  returns: no accepted job is lost.

Example:
    >>> import asyncio
    >>> from semcom.serving.batcher import MicroBatcher
    >>> async def main():
    ...     sizes = []
    ...     def run(payloads):
    ...         sizes.append(len(payloads))
    ...         return [p * 2 for p in payloads]
    ...     b = MicroBatcher(run, max_batch=8, max_wait_ms=20)
    ...     await b.start()
    ...     out = await asyncio.gather(*(b.submit(i) for i in range(5)))
    ...     await b.close()
    ...     return out, sizes
    >>> asyncio.run(main())
    ([0, 2, 4, 6, 8], [5])
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any


class QueueFullError(Exception):
    """The batcher's queue holds ``queue_size`` jobs already."""


class ShuttingDownError(Exception):
    """The batcher is closing and takes no new jobs."""


@dataclass
class BatchStats:
    """What one job saw: ``queue_s`` waiting, ``compute_s`` of its batch, ``batch_size``."""

    queue_s: float = 0.0
    compute_s: float = 0.0
    batch_size: int = 0


@dataclass
class _Job:
    payload: Any
    size: int
    future: asyncio.Future[Any]
    enqueued: float
    stats: BatchStats = field(default_factory=BatchStats)


#: Callback after each batch: ``(images in the batch, jobs in it, seconds)``.
BatchHook = Callable[[int, int, float], None]


class MicroBatcher:
    """Batch concurrent jobs into one call of ``run_batch``.

    Args:
        run_batch: ``payloads -> results`` (same length and order); runs in ``executor``.
            An exception fails every job of that batch, never the worker.
        max_batch: most images per call (the sum of the jobs' ``size``).
        max_wait_ms: longest wait for more jobs once one is held, ms.
        queue_size: most jobs waiting.
        executor: where ``run_batch`` runs (default: a private pool of ``in_flight``
            threads; one given must have that many).
        on_batch: optional :data:`BatchHook` (metrics).
        in_flight: most batches running at once (module docstring).
    """

    def __init__(
        self,
        run_batch: Callable[[list[Any]], Sequence[Any]],
        *,
        max_batch: int = 32,
        max_wait_ms: float = 5.0,
        queue_size: int = 1024,
        executor: Executor | None = None,
        on_batch: BatchHook | None = None,
        in_flight: int = 1,
    ) -> None:
        if in_flight < 1:
            raise ValueError(f"in_flight must be >= 1, got {in_flight}")
        self.run_batch = run_batch
        self.in_flight = in_flight
        self.max_batch = max_batch
        self.max_wait_s = max_wait_ms / 1000.0
        self.queue_size = queue_size
        self._own_executor = executor is None
        self._executor = executor or ThreadPoolExecutor(
            in_flight, thread_name_prefix="semcom-batch"
        )
        self._on_batch = on_batch
        self._queue: asyncio.Queue[_Job] | None = None
        self._carry: _Job | None = None
        self._worker: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def closing(self) -> bool:
        """Whether :meth:`close` has been called (new jobs are refused)."""
        return self._closing

    @property
    def depth(self) -> int:
        """Jobs waiting (not yet in a running batch)."""
        waiting = self._queue.qsize() if self._queue is not None else 0
        return waiting + (self._carry is not None)

    async def start(self) -> None:
        """Start the worker on the running event loop."""
        self._queue = asyncio.Queue(maxsize=self.queue_size)
        self._worker = asyncio.create_task(self._work(), name="semcom-batcher")

    async def submit(self, payload: Any, size: int = 1, timeout_s: float | None = None) -> Any:
        """Enqueue ``payload`` (``size`` images) and await its result (errors: see
        :meth:`submit_with_stats`)."""
        result, _ = await self.submit_with_stats(payload, size, timeout_s)
        return result

    async def submit_with_stats(
        self, payload: Any, size: int = 1, timeout_s: float | None = None
    ) -> tuple[Any, BatchStats]:
        """Like :meth:`submit`, also returning the job's :class:`BatchStats`.

        Raises:
            QueueFullError: the queue is full.
            ShuttingDownError: :meth:`close` has been called.
            TimeoutError: no result within ``timeout_s`` seconds.
        """
        if self._closing or self._queue is None:
            raise ShuttingDownError("the service is shutting down")
        loop = asyncio.get_running_loop()
        job = _Job(payload, max(1, size), loop.create_future(), time.perf_counter())
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            raise QueueFullError(f"{self.queue_size} requests are already waiting") from None
        try:
            result = await asyncio.wait_for(asyncio.shield(job.future), timeout_s)
        except TimeoutError:
            job.future.cancel()  # dropped by the worker if its batch has not started
            raise
        return result, job.stats

    async def close(self) -> None:
        """Refuse new jobs, finish every accepted one, stop the worker."""
        self._closing = True
        if self._queue is not None and self._worker is not None:
            await self._queue.join()
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        if self._own_executor:
            self._executor.shutdown(wait=True)

    async def _next(self, timeout: float | None) -> _Job | None:
        assert self._queue is not None
        if self._carry is not None:
            job, self._carry = self._carry, None
            return job
        if timeout is None:
            return await self._queue.get()
        if timeout <= 0:
            try:
                return self._queue.get_nowait()
            except asyncio.QueueEmpty:
                return None
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None

    async def _collect(self) -> tuple[list[_Job], int]:
        """Jobs for one batch (cancelled ones dropped) and how many were taken off the queue."""
        first = await self._next(None)
        assert first is not None
        taken = 1
        batch = [first]
        size = first.size
        deadline = time.perf_counter() + self.max_wait_s
        while size < self.max_batch:
            job = await self._next(deadline - time.perf_counter())
            if job is None:
                break
            taken += 1
            if size + job.size > self.max_batch:
                self._carry = job  # starts the next batch
                taken -= 1
                break
            batch.append(job)
            size += job.size
        return [j for j in batch if not j.future.done()], taken

    async def _work(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        slots = asyncio.Semaphore(self.in_flight)
        running: set[asyncio.Task[None]] = set()
        try:
            while True:
                await slots.acquire()
                try:
                    jobs, taken = await self._collect()
                except BaseException:
                    slots.release()
                    raise
                task = asyncio.create_task(self._run_and_release(loop, jobs, taken, slots))
                running.add(task)
                task.add_done_callback(running.discard)
        finally:  # cancelled by close() once the queue is drained
            for task in list(running):
                task.cancel()

    async def _run_and_release(
        self,
        loop: asyncio.AbstractEventLoop,
        jobs: list[_Job],
        taken: int,
        slots: asyncio.Semaphore,
    ) -> None:
        assert self._queue is not None
        try:
            if jobs:
                await self._run(loop, jobs)
        finally:
            slots.release()
            for _ in range(taken):
                self._queue.task_done()

    async def _run(self, loop: asyncio.AbstractEventLoop, jobs: list[_Job]) -> None:
        start = time.perf_counter()
        try:
            results = await loop.run_in_executor(
                self._executor, self.run_batch, [j.payload for j in jobs]
            )
            if len(results) != len(jobs):
                raise RuntimeError(f"run_batch returned {len(results)} results for {len(jobs)}")
        except Exception as e:  # a failed batch fails its jobs, never the worker
            for j in jobs:
                if not j.future.done():
                    j.future.set_exception(e)
            return
        compute = time.perf_counter() - start
        images = sum(j.size for j in jobs)
        if self._on_batch is not None:
            self._on_batch(images, len(jobs), compute)
        for j, r in zip(jobs, results, strict=True):
            j.stats.queue_s = start - j.enqueued
            j.stats.compute_s = compute
            j.stats.batch_size = images
            if not j.future.done():
                j.future.set_result(r)
