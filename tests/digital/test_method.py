"""Digital baselines end to end: spec parsing, the LDPC chain, the capacity reference."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import torch

from semcom import create_channel
from semcom.data import ImageDataset
from semcom.digital import parse_digital_method
from semcom.digital.phy import CodedModulation, effective_symbols
from semcom.errors import SemcomError
from semcom.evaluation.digital_eval import channel_means, evaluate_digital
from semcom.metrics import psnr

METHODS = ["digital:jpeg+ldpc+qam", "digital:jpeg2000+ldpc+qam", "digital:webp+ldpc3/4+qam16"]


def images(n: int = 6) -> np.ndarray:
    """``[n, 32, 32, 3] uint8`` crops of scikit-image's astronaut."""
    from skimage import data

    rng = np.random.default_rng(0)
    corners = rng.integers(0, 400, size=(n, 2))
    return np.stack([data.astronaut()[y : y + 32, x : x + 32] for y, x in corners])


@pytest.mark.parametrize("spec", METHODS)
def test_high_snr_returns_the_codecs_own_decode_bit_exactly(
    spec: str, codec_decode: Callable[..., np.ndarray]
) -> None:
    method = parse_digital_method(spec)
    x = images()
    cbr = 1 / 3  # room for every codec's smallest payload
    gen = torch.Generator().manual_seed(0)
    out = method.transmit(x, create_channel("awgn"), 40.0, gen, cbr=cbr)
    assert out.delivered.all()
    budget = method.budget_bytes(round(cbr * 3 * 32 * 32), 40.0)
    for got, img in zip(out.images, x, strict=True):
        fit = method.codec.best_fit(img, budget)
        assert fit is not None
        assert np.array_equal(got, codec_decode(method.codec.name, img, fit[0]))


def test_below_threshold_psnr_is_the_mean_image_psnr() -> None:
    method = parse_digital_method("digital:jpeg+ldpc+qam")
    x = images(8)
    data = ImageDataset(torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(), None, "photos")
    scores, delivered, note = evaluate_digital(method, data, "awgn", -5.0, cbr=1 / 6, seed_value=0)
    assert delivered == 0.0
    assert note == ""
    ref = data.batch(slice(0, 8))
    rounded = torch.from_numpy(channel_means(data)).round().div(255).float().reshape(1, 3, 1, 1)
    expected = float(psnr(rounded.expand_as(ref), ref).mean())
    assert abs(scores.psnr_db - expected) < 0.1


def test_capacity_budget_and_error_free_delivery() -> None:
    method = parse_digital_method("digital:jpeg+capacity")
    k = 512
    for snr in (0.0, 10.0):
        bits = math.floor(k * math.log2(1 + 10 ** (snr / 10)))
        assert method.budget_bytes(k, snr) == (bits - 8) // 8
    out = method.transmit(images(), create_channel("rayleigh-block"), 10.0, None)
    assert out.delivered.all()  # error-free whatever the channel


def test_a_budget_too_small_for_any_image_is_reported_not_raised() -> None:
    method = parse_digital_method("digital:webp+ldpc+qam")
    x = images(3)
    data = ImageDataset(torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(), None, "photos")
    scores, delivered, note = evaluate_digital(method, data, "awgn", 10.0, cbr=1 / 24, seed_value=0)
    assert delivered == 0.0
    assert "cannot hold even the smallest webp payload" in note
    assert math.isfinite(scores.psnr_db)


def test_ldpc_chain_is_error_free_at_high_snr_and_fails_at_low() -> None:
    phy = CodedModulation(channel_uses=512, rate=0.5, bits_per_symbol=2)
    assert phy.frame_bits == 512 - 24
    bits = torch.randint(0, 2, (4, phy.frame_bits)).float()
    gen = torch.Generator().manual_seed(0)
    rx, ok = phy.transmit(bits, create_channel("awgn"), 10.0, gen)
    assert ok.all()
    assert torch.equal(rx, bits)
    _, ok = phy.transmit(bits, create_channel("awgn"), -5.0, gen)
    assert not ok.any()


def test_long_budgets_use_several_codewords() -> None:
    phy = CodedModulation(channel_uses=6000, rate=0.5, bits_per_symbol=4)
    assert phy.codewords == 3
    bits = torch.randint(0, 2, (2, phy.frame_bits)).float()
    rx, ok = phy.transmit(bits, create_channel("awgn"), 20.0, torch.Generator().manual_seed(1))
    assert ok.all()
    assert torch.equal(rx, bits)


def test_mmse_equalised_symbols_are_unbiased() -> None:
    channel = create_channel("rayleigh-block")
    x = torch.ones(2000, 4, dtype=torch.complex64)
    snr = torch.full((2000,), 5.0)
    y, h = channel.transmit(x, snr, torch.Generator().manual_seed(0))
    est, var = effective_symbols(channel, y, h, snr)
    err = (est - x) / var.sqrt()  # unit variance if the variance is right
    assert abs(float(err.real.median())) < 0.05
    assert 0.9 < float(err.abs().pow(2).mean()) < 1.1


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("digital:bpg+ldpc+qam", "unknown image codec 'bpg'; choose one of: jpeg, jpeg2000, webp"),
        ("digital:jpeg+turbo+qam", "cannot parse digital method"),
        ("digital:jpeg+ldpc1/10+qam", "code rate must be in"),
        ("digital:jpeg+ldpc+qam8", "QAM size must be 4, 16, 64"),
    ],
)
def test_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(SemcomError, match=message):
        parse_digital_method(spec)


def test_unsupported_channel_is_a_clear_error() -> None:
    method = parse_digital_method("digital:jpeg+ldpc+qam")
    with pytest.raises(SemcomError, match="supports the awgn, rayleigh-block"):
        method.transmit(images(2), create_channel("mu-mimo"), 10.0, None)
