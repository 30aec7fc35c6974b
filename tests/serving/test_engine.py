"""LinkEngine: batched forwards, split and padded to few shapes, answer what the link does."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from semcom.link import SemanticLink
from semcom.serving.engine import DecodeJob, LinkEngine, TransmitJob


@pytest.mark.parametrize("max_batch", [1, 4, 16, 24])
@pytest.mark.parametrize("n", [1, 3, 4, 5, 16, 17, 33, 50])
def test_forward_sizes_cover_every_tile_with_few_shapes(
    fast_link: SemanticLink, n: int, max_batch: int
) -> None:
    padded = LinkEngine(fast_link, max_batch=max_batch, pad_shapes=True).forward_sizes(n)
    plain = LinkEngine(fast_link, max_batch=max_batch, pad_shapes=False).forward_sizes(n)
    for sizes in (padded, plain):
        assert sum(m for m, _ in sizes) == n
        assert all(1 <= m <= p <= max_batch for m, p in sizes)
    assert all(m == p for m, p in plain)
    # padded forwards only take powers of two (or max_batch itself)
    assert all(p == max_batch or p & (p - 1) == 0 for _, p in padded)
    assert all(p < 2 * m for m, p in padded)  # never more than doubled


def _jobs(k: int, tiles: list[int], seed: int = 0) -> list[DecodeJob]:
    rng = np.random.default_rng(seed)
    return [
        DecodeJob(
            (rng.standard_normal((n, k)) + 1j * rng.standard_normal((n, k))).astype(np.complex64),
            snr_db=float(3 * i),
            csi=None,
        )
        for i, n in enumerate(tiles)
    ]


def test_padded_decodes_equal_one_forward_per_job(fast_link: SemanticLink) -> None:
    """Padding and splitting change nothing in the answers (a deterministic link)."""
    engine = LinkEngine(fast_link, max_batch=4, pad_shapes=True)
    jobs = _jobs(engine.k, [1, 2, 3])  # 6 tiles -> forwards of 4 and 2 (+ padding elsewhere)
    batched = engine.decode_batch(jobs)
    with torch.inference_mode():
        for job, got in zip(jobs, batched, strict=True):
            y = torch.from_numpy(job.symbols)
            snr = torch.full((len(y),), job.snr_db)
            want = fast_link.codec.decode(y, snr, None).clamp(0, 1)
            assert got.shape == (len(y), *engine.tile_shape)
            torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_padding_does_not_change_a_csi_decode(fast_link: SemanticLink) -> None:
    jobs = _jobs(LinkEngine(fast_link).k, [3, 2], seed=1)
    rng = np.random.default_rng(2)
    with_csi = [
        DecodeJob(j.symbols, j.snr_db, (1 + 0.1 * rng.standard_normal(j.symbols.shape))
                  .astype(np.complex64))
        for j in jobs
    ]  # fmt: skip
    padded = LinkEngine(fast_link, max_batch=8, pad_shapes=True).decode_batch(with_csi)
    plain = LinkEngine(fast_link, max_batch=8, pad_shapes=False).decode_batch(with_csi)
    for a, b in zip(padded, plain, strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_transmit_returns_each_jobs_tiles(fast_link: SemanticLink) -> None:
    engine = LinkEngine(fast_link, max_batch=4, pad_shapes=True)
    c, h, w = engine.tile_shape
    ramp = torch.linspace(0.2, 0.8, w).expand(c, h, w)  # smooth tiles, easy to send
    jobs = [TransmitJob(ramp.expand(n, c, h, w).clone(), 20.0, seed=n) for n in (3, 4)]
    out = engine.transmit_batch(jobs)
    assert [o.shape[0] for o in out] == [3, 4]
    for job, o in zip(jobs, out, strict=True):
        assert o.min() >= 0
        assert o.max() <= 1
        # at 20 dB the fast link's reconstruction is close to its input (PSNR > 20 dB)
        assert float(((o - job.tiles) ** 2).mean()) < 0.01
