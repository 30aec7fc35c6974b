"""The micro-batcher: batching, waiting, limits, timeouts, failures and draining."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from semcom.serving.batcher import MicroBatcher, QueueFullError, ShuttingDownError


class Recorder:
    """``run_batch`` that records each batch's payloads and may sleep or fail."""

    def __init__(self, sleep_s: float = 0.0, fail_on: Any = None) -> None:
        self.batches: list[list[Any]] = []
        self.sleep_s, self.fail_on = sleep_s, fail_on

    def __call__(self, payloads: list[Any]) -> list[Any]:
        self.batches.append(list(payloads))
        time.sleep(self.sleep_s)
        if self.fail_on is not None and self.fail_on in payloads:
            raise RuntimeError("boom")
        return [("done", p) for p in payloads]


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_concurrent_jobs_share_batches_of_at_most_max_batch() -> None:
    rec = Recorder(sleep_s=0.02)

    async def main() -> list[Any]:
        b = MicroBatcher(rec, max_batch=4, max_wait_ms=50)
        await b.start()
        out = await asyncio.gather(*(b.submit(i) for i in range(10)))
        await b.close()
        return out

    assert run(main()) == [("done", i) for i in range(10)]
    assert [len(x) for x in rec.batches] == [4, 4, 2]
    assert sorted(p for x in rec.batches for p in x) == list(range(10))


def test_sizes_count_images_and_an_oversized_job_runs_alone() -> None:
    rec = Recorder()

    async def main() -> None:
        b = MicroBatcher(rec, max_batch=4, max_wait_ms=50)
        await b.start()
        await asyncio.gather(b.submit("a", size=3), b.submit("b", size=2), b.submit("c", size=9))
        await b.close()

    run(main())
    assert rec.batches == [["a"], ["b"], ["c"]]


def test_a_lone_job_waits_at_most_max_wait() -> None:
    async def main() -> float:
        b = MicroBatcher(Recorder(), max_batch=64, max_wait_ms=30)
        await b.start()
        t = time.perf_counter()
        await b.submit(1)
        elapsed = time.perf_counter() - t
        await b.close()
        return elapsed

    assert run(main()) < 1.0  # 30 ms wait, generous bound for a loaded machine


def test_stats_report_the_batch() -> None:
    async def main() -> Any:
        b = MicroBatcher(Recorder(sleep_s=0.01), max_batch=8, max_wait_ms=20)
        await b.start()
        got = await asyncio.gather(*(b.submit_with_stats(i) for i in range(3)))
        await b.close()
        return got

    stats = [s for _, s in run(main())]
    assert {s.batch_size for s in stats} == {3}
    assert all(s.compute_s >= 0.01 and s.queue_s >= 0 for s in stats)


def test_a_full_queue_refuses_at_once() -> None:
    rec = Recorder(sleep_s=0.2)

    async def main() -> list[Any]:
        b = MicroBatcher(rec, max_batch=1, max_wait_ms=0, queue_size=2)
        await b.start()
        first = asyncio.create_task(b.submit("running"))
        await asyncio.sleep(0.05)  # the worker has taken it
        waiting = [asyncio.create_task(b.submit(i)) for i in range(2)]
        await asyncio.sleep(0)
        with pytest.raises(QueueFullError):
            await b.submit("one too many")
        out = await asyncio.gather(first, *waiting)
        await b.close()
        return out

    assert run(main()) == [("done", "running"), ("done", 0), ("done", 1)]


def test_a_timed_out_job_is_dropped_before_it_runs() -> None:
    rec = Recorder(sleep_s=0.3)

    async def main() -> None:
        b = MicroBatcher(rec, max_batch=1, max_wait_ms=0)
        await b.start()
        busy = asyncio.create_task(b.submit("busy"))
        await asyncio.sleep(0.05)
        with pytest.raises(TimeoutError):
            await b.submit("late", timeout_s=0.05)
        await busy
        await b.close()

    run(main())
    assert rec.batches == [["busy"]]


def test_a_failing_batch_fails_its_jobs_and_the_worker_goes_on() -> None:
    rec = Recorder(fail_on="bad")

    async def main() -> Any:
        b = MicroBatcher(rec, max_batch=1, max_wait_ms=0)
        await b.start()
        with pytest.raises(RuntimeError, match="boom"):
            await b.submit("bad")
        out = await b.submit("good")
        await b.close()
        return out

    assert run(main()) == ("done", "good")


def test_close_drains_every_accepted_job_then_refuses() -> None:
    rec = Recorder(sleep_s=0.01)

    async def main() -> list[Any]:
        b = MicroBatcher(rec, max_batch=2, max_wait_ms=0)
        await b.start()
        jobs = [asyncio.create_task(b.submit(i)) for i in range(7)]
        await asyncio.sleep(0)
        await b.close()
        assert all(j.done() for j in jobs)
        with pytest.raises(ShuttingDownError):
            await b.submit("after close")
        return [j.result() for j in jobs]

    assert run(main()) == [("done", i) for i in range(7)]
    assert sum(len(x) for x in rec.batches) == 7


@pytest.mark.parametrize("in_flight", [1, 2, 3])
def test_at_most_in_flight_batches_run_at_once_and_close_drains_them(in_flight: int) -> None:
    import threading

    lock = threading.Lock()
    now = {"running": 0, "most": 0}

    def slow(payloads: list[Any]) -> list[Any]:
        with lock:
            now["running"] += 1
            now["most"] = max(now["most"], now["running"])
        time.sleep(0.03)
        with lock:
            now["running"] -= 1
        return [("done", p) for p in payloads]

    async def main() -> list[Any]:
        b = MicroBatcher(slow, max_batch=2, max_wait_ms=0, in_flight=in_flight)
        await b.start()
        jobs = [asyncio.create_task(b.submit(i)) for i in range(12)]
        await asyncio.sleep(0)
        await b.close()  # every accepted job answered, with batches still overlapping
        return [j.result() for j in jobs]

    assert run(main()) == [("done", i) for i in range(12)]
    assert now["most"] == in_flight  # 6 batches of 2: the limit is reached, never passed


def test_in_flight_must_be_positive() -> None:
    with pytest.raises(ValueError, match="in_flight"):
        MicroBatcher(Recorder(), in_flight=0)
