"""EnginePool: several engines answer what one answers, each batch goes to the least busy,
and a service built with ``model_processes`` runs that many model processes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
import torch

from semcom.errors import SemcomError
from semcom.link import SemanticLink
from semcom.serving import ServeConfig
from semcom.serving.engine import DecodeJob, LinkEngine, TransmitJob
from semcom.serving.engine_pool import EnginePool
from semcom.serving.process_engine import ProcessEngine
from semcom.serving.server import build_engine


def _symbols(k: int, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, k)) + 1j * rng.standard_normal((n, k))).astype(np.complex64)


def _until(condition: Callable[[], bool], what: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout_s} s: {what}"
        time.sleep(0.01)


class GatedEngine(LinkEngine):
    """A real engine whose decodes wait for ``gate`` and note that they started."""

    def __init__(self, link: SemanticLink, name: str, log: list[str]) -> None:
        super().__init__(link, max_batch=8)
        self.name, self.log = name, log
        self.gate = threading.Event()

    def decode_batch(self, jobs: list[DecodeJob]) -> list[torch.Tensor]:
        self.log.append(self.name)
        self.gate.wait(30)
        return super().decode_batch(jobs)


def test_a_pool_answers_what_one_engine_answers(fast_link: SemanticLink) -> None:
    one = LinkEngine(fast_link, max_batch=4)
    pool = EnginePool([LinkEngine(fast_link, max_batch=4), LinkEngine(fast_link, max_batch=4)])
    assert (pool.k, pool.tile_shape) == (one.k, one.tile_shape)
    assert pool.in_flight == 2
    assert pool.info()["model_processes"] == 2
    jobs = [DecodeJob(_symbols(one.k, n, n), 3.0 * n, None) for n in (1, 4)]
    for _ in range(3):  # whichever engine runs it
        for got, want in zip(pool.decode_batch(jobs), one.decode_batch(jobs), strict=True):
            torch.testing.assert_close(got, want)
    tiles = torch.rand(2, *one.tile_shape, generator=torch.Generator().manual_seed(0))
    got_t = pool.transmit_batch([TransmitJob(tiles, 10.0, 7)])[0]
    torch.testing.assert_close(got_t, one.transmit_batch([TransmitJob(tiles, 10.0, 7)])[0])
    assert pool.busy == [0, 0]


def test_each_batch_goes_to_the_least_busy_engine(fast_link: SemanticLink) -> None:
    log: list[str] = []
    a, b = GatedEngine(fast_link, "a", log), GatedEngine(fast_link, "b", log)
    pool = EnginePool([a, b])
    job = [DecodeJob(_symbols(pool.k, 1, 0), 5.0, None)]
    with ThreadPoolExecutor(2) as ex:
        first = ex.submit(pool.decode_batch, job)
        _until(lambda: pool.busy == [1, 0], "the first batch on the first engine")
        second = ex.submit(pool.decode_batch, job)
        _until(lambda: pool.busy == [1, 1], "the second batch on the second engine")
        assert sorted(log) == ["a", "b"]  # the second batch did not queue behind the first
        b.gate.set()
        second.result(30)
        assert pool.busy == [1, 0]
        a.gate.set()
        first.result(30)
    assert pool.busy == [0, 0]


def test_a_failing_batch_frees_its_engine(fast_link: SemanticLink) -> None:
    class Failing(LinkEngine):
        def decode_batch(self, jobs: list[Any]) -> list[Any]:
            raise RuntimeError("injected failure")

    pool = EnginePool([Failing(fast_link), Failing(fast_link)])
    with pytest.raises(RuntimeError, match="injected failure"):
        pool.decode_batch([DecodeJob(_symbols(pool.k, 1, 0), 5.0, None)])
    assert pool.busy == [0, 0]


def test_a_pool_refuses_no_engines_and_mixed_links(fast_link: SemanticLink) -> None:
    with pytest.raises(ValueError, match="at least one"):
        EnginePool([])

    class Other(LinkEngine):
        @property
        def k(self) -> int:
            return 7

    with pytest.raises(ValueError, match="different links"):
        EnginePool([LinkEngine(fast_link), Other(fast_link)])


def test_model_processes_are_checked() -> None:
    with pytest.raises(SemcomError, match="model_processes must be >= 1"):
        ServeConfig(model_processes=0)
    with pytest.raises(SemcomError, match="--in-process"):
        ServeConfig(model_processes=2, model_process=False)


def test_the_service_builds_that_many_model_processes(fast_link: SemanticLink) -> None:
    engine = build_engine(ServeConfig("zoo:deepjscc-cifar10-awgn", device="cpu", model_processes=2))
    try:
        assert isinstance(engine, EnginePool)
        assert all(isinstance(e, ProcessEngine) for e in engine.engines)
        pids = {e.pid for e in engine.engines}  # type: ignore[attr-defined]
        assert len(pids) == 2
        assert None not in pids
        assert engine.in_flight == 2 * ProcessEngine.in_flight
        local = LinkEngine(fast_link)
        jobs = [DecodeJob(_symbols(local.k, 3, 1), 8.0, None)]
        torch.testing.assert_close(
            engine.decode_batch(jobs)[0], local.decode_batch(jobs)[0], atol=1e-5, rtol=1e-5
        )
    finally:
        engine.close()
