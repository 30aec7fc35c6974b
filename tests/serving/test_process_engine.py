"""ProcessEngine: the link in a child process answers what it answers in this one, survives
bad batches, Ctrl-C and its own death, and says why it cannot load."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from semcom.errors import SemcomError
from semcom.link import SemanticLink
from semcom.serving.engine import DecodeJob, LinkEngine, TransmitJob
from semcom.serving.process_engine import EngineSpec, ProcessEngine

FAST = "zoo:deepjscc-cifar10-awgn"


@pytest.fixture(scope="module")
def engine() -> Iterator[ProcessEngine]:
    with ProcessEngine(EngineSpec(FAST, device="cpu", forward_batch=4)) as e:
        yield e


def _symbols(k: int, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, k)) + 1j * rng.standard_normal((n, k))).astype(np.complex64)


def test_decodes_equal_the_in_process_engine(
    engine: ProcessEngine, fast_link: SemanticLink
) -> None:
    local = LinkEngine(fast_link, max_batch=4)
    assert (engine.k, engine.tile_shape) == (local.k, local.tile_shape)
    jobs = [DecodeJob(_symbols(engine.k, n, n), 2.0 * n, None) for n in (1, 3, 5)]
    for got, want in zip(engine.decode_batch(jobs), local.decode_batch(jobs), strict=True):
        assert got.dtype == torch.float32
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    info = engine.info()
    assert info["model_process"] is True
    assert info["codec"] == local.info()["codec"]


def test_transmit_crosses_the_pipe(engine: ProcessEngine) -> None:
    c, h, w = engine.tile_shape
    tiles = torch.linspace(0.2, 0.8, w).expand(2, c, h, w).clone()
    (out,) = engine.transmit_batch([TransmitJob(tiles, 25.0, seed=3)])
    assert out.shape == tiles.shape
    assert float(((out - tiles) ** 2).mean()) < 0.01


def test_a_failing_batch_fails_alone(engine: ProcessEngine) -> None:
    bad = DecodeJob(_symbols(engine.k + 1, 1, 0), 10.0, None)  # wrong symbol count
    with pytest.raises(RuntimeError):
        engine.decode_batch([bad])
    (out,) = engine.decode_batch([DecodeJob(_symbols(engine.k, 1, 0), 10.0, None)])
    assert out.shape == (1, *engine.tile_shape)


def test_ctrl_c_does_not_reach_the_model(engine: ProcessEngine) -> None:
    pid = engine.pid
    assert pid is not None
    os.kill(pid, signal.SIGINT)
    time.sleep(0.3)
    engine.decode_batch([DecodeJob(_symbols(engine.k, 1, 1), 10.0, None)])
    assert engine.pid == pid


def test_a_dead_model_process_is_started_again() -> None:
    with ProcessEngine(EngineSpec(FAST, device="cpu")) as e:
        first = e.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while e._proc.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        (out,) = e.decode_batch([DecodeJob(_symbols(e.k, 2, 2), 10.0, None)])
        assert out.shape == (2, *e.tile_shape)
        assert e.restarts == 1
        assert e.pid not in (None, first)
    assert e.pid is None
    with pytest.raises(RuntimeError, match="closed"):
        e.decode_batch([DecodeJob(_symbols(e.k, 1, 0), 10.0, None)])
    e.close()  # idempotent


def test_a_load_error_is_one_line() -> None:
    with pytest.raises(SemcomError) as info:
        ProcessEngine(EngineSpec("zoo:no-such-model", device="cpu"))
    assert "no-such-model" in str(info.value)
    assert "\n" not in str(info.value)


def test_batches_sent_while_others_run_get_their_own_answers(engine: ProcessEngine) -> None:
    from concurrent.futures import ThreadPoolExecutor

    assert engine.in_flight >= 2
    jobs = [[DecodeJob(_symbols(engine.k, n, 10 + i), 3.0 * i, None)] for i, n in enumerate(
        [1, 4, 2, 3, 1, 5, 2, 2])]  # fmt: skip
    alone = [engine.decode_batch(j)[0] for j in jobs]
    with ThreadPoolExecutor(4) as pool:  # up to 4 batches in the pipe at once
        together = list(pool.map(lambda j: engine.decode_batch(j)[0], jobs))
    for a, b in zip(alone, together, strict=True):
        assert torch.equal(a, b)


def test_a_death_with_batches_in_flight_fails_them_and_the_next_restarts() -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ProcessEngine(EngineSpec(FAST, device="cpu", forward_batch=1)) as e:
        first = e.pid
        assert first is not None
        big = [DecodeJob(_symbols(e.k, 2000, 0), 10.0, None)]  # 2,000 forwards of 1
        with ThreadPoolExecutor(3) as pool:
            running = [pool.submit(e.decode_batch, big) for _ in range(3)]
            time.sleep(0.3)
            os.kill(first, signal.SIGKILL)
            errors = []
            for f in running:
                try:
                    f.result(timeout=30)
                except RuntimeError as err:
                    errors.append(str(err))
        assert errors  # the batches the child held failed ...
        assert all("exited" in m for m in errors)
        (out,) = e.decode_batch([DecodeJob(_symbols(e.k, 2, 2), 10.0, None)])  # ... and
        assert out.shape == (2, *e.tile_shape)  # the next batch restarts it
        assert e.restarts == 1
