"""Multi-user uplink: detection vs a numpy reference, per-user SNR, padding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from semcom.channels import MultiUserMIMO, normalize_power, rayleigh_mimo, uplink
from semcom.channels.base import complex_normal
from semcom.errors import SemcomError
from semcom.registry import create_channel

CPU = torch.device("cpu")


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _symbols(shape: tuple[int, int, int], seed: int) -> torch.Tensor:
    b, n_users, k = shape
    flat = normalize_power(complex_normal((b * n_users, k), CPU, _gen(seed)))
    return flat.reshape(b, n_users, k)


def _reference(
    x: np.ndarray, snr_db: np.ndarray, h: np.ndarray, noise: np.ndarray, detector: str
) -> tuple[np.ndarray, np.ndarray]:
    """Brute force, one example at a time, in complex128."""
    x_hat = np.zeros_like(x)
    gain = np.zeros(x.shape[:2], dtype=np.complex128)
    for b in range(x.shape[0]):
        g = h[b] @ np.diag(np.sqrt(10.0 ** (snr_db[b] / 10.0)))
        y = g @ x[b] + noise[b]
        reg = np.eye(g.shape[1]) if detector == "mmse" else 0.0
        w = np.linalg.inv(g.conj().T @ g + reg) @ g.conj().T
        x_hat[b] = w @ y
        gain[b] = np.diag(w @ g)
    return x_hat, gain


@pytest.mark.parametrize("detector", ["zf", "mmse"])
@pytest.mark.parametrize(("n_antennas", "n_users"), [(3, 3), (4, 3), (2, 2)])
def test_detection_matches_numpy_reference(detector: str, n_antennas: int, n_users: int) -> None:
    b, k = 16, 8
    gen = _gen(0)
    x = _symbols((b, n_users, k), 1)
    snr = torch.rand(b, n_users, generator=gen) * 20.0
    h = rayleigh_mimo(b, n_antennas, n_users, CPU, gen)
    noise = complex_normal((b, n_antennas, k), CPU, gen)
    x_hat, gain = uplink(x, snr, h, detector=detector, noise=noise)
    assert x_hat.shape == (b, n_users, k)
    assert x_hat.dtype == gain.dtype == torch.complex64
    assert gain.shape == (b, n_users)
    xn, hn, nn = (t.numpy().astype(np.complex128) for t in (x, h, noise))
    ref_x, ref_gain = _reference(xn, snr.numpy().astype(np.float64), hn, nn, detector)
    # float32 normal equations: error scales with cond(G)^2, so compare per example
    # relative to the reference's size.
    scale = np.abs(ref_x).max(axis=(1, 2), keepdims=True) + 1.0
    assert (np.abs(x_hat.numpy() - ref_x) / scale).max() < 5e-4
    np.testing.assert_allclose(gain.numpy(), ref_gain, atol=1e-5)


def test_noise_is_drawn_from_generator_when_not_given() -> None:
    x = _symbols((4, 3, 8), 1)
    h = rayleigh_mimo(4, 3, 3, CPU, _gen(2))
    a, _ = uplink(x, 10.0, h, _gen(3))
    b, _ = uplink(x, 10.0, h, _gen(3), noise=complex_normal((4, 3, 8), CPU, _gen(3)))
    c, _ = uplink(x, 10.0, h, _gen(4))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_zf_recovers_input_at_high_snr() -> None:
    gen = _gen(5)
    x = _symbols((64, 3, 16), 6)
    h = rayleigh_mimo(64, 3, 3, CPU, gen)
    x_hat, gain = uplink(x, torch.full((64, 3), 100.0), h, gen, "zf")
    err = (x_hat - x).abs().amax(dim=(1, 2))
    # Normal equations in float32: a few badly conditioned H may lose precision.
    assert err.median() < 1e-4
    assert (err < 1e-2).float().mean() > 0.95
    assert torch.equal(gain, torch.ones_like(gain))


def test_mmse_gain_is_real_and_in_unit_interval() -> None:
    gen = _gen(7)
    h = rayleigh_mimo(32, 3, 3, CPU, gen)
    _, gain = uplink(_symbols((32, 3, 4), 8), 5.0, h, gen, "mmse")
    assert gain.imag.abs().max() < 1e-4
    assert (gain.real > 0).all()
    assert (gain.real < 1).all()


@pytest.mark.parametrize("detector", ["zf", "mmse"])
def test_per_user_snr_is_respected(detector: str) -> None:
    groups, k = 2000, 8
    snr = torch.tensor([30.0, 0.0, 15.0]).repeat(groups)
    x = normalize_power(complex_normal((3 * groups, k), CPU, _gen(9)))
    ch = MultiUserMIMO(n_users=3, n_antennas=3, detector=detector)
    y, _ = ch(x, snr, _gen(10))
    mse = (y - x).abs().pow(2).mean(dim=1).reshape(groups, 3).median(dim=0).values
    assert mse[0] < mse[2] < mse[1]
    assert mse[0] * 100 < mse[1]


def test_padding_when_batch_not_multiple_of_users() -> None:
    x = normalize_power(complex_normal((5, 8), CPU, _gen(11)))
    snr = torch.tensor([0.0, 10.0, 20.0, 5.0, 15.0])
    for detector in ("zf", "mmse"):
        y, csi = MultiUserMIMO(detector=detector)(x, snr, _gen(12))
        assert y.shape == csi.shape == (5, 8)
        # Same draws by hand: all H first, then the noise; silent users at 0 dB.
        gen = _gen(12)
        h = rayleigh_mimo(2, 3, 3, CPU, gen)
        xp = torch.cat([x, torch.zeros(1, 8, dtype=torch.complex64)]).reshape(2, 3, 8)
        sp = torch.cat([snr, torch.zeros(1)]).reshape(2, 3)
        x_hat, gain = uplink(xp, sp, h, gen, detector)
        torch.testing.assert_close(y, x_hat.reshape(6, 8)[:5])
        torch.testing.assert_close(csi, gain.reshape(6, 1)[:5].expand(5, 8))
    y_hi, _ = MultiUserMIMO()(x, 100.0, _gen(13))
    torch.testing.assert_close(y_hi, x, rtol=0.0, atol=1e-2)


def test_zf_with_fewer_antennas_than_users_raises() -> None:
    h = rayleigh_mimo(2, 2, 3, CPU, _gen(0))
    with pytest.raises(SemcomError, match="antennas"):
        uplink(_symbols((2, 3, 4), 0), 10.0, h, _gen(1), "zf")
    with pytest.raises(SemcomError, match="antennas"):
        MultiUserMIMO(n_users=3, n_antennas=2, detector="zf")
    with pytest.raises(SemcomError, match="antennas"):
        create_channel("mu-mimo", n_antennas=1)


def test_mmse_works_with_one_antenna() -> None:
    h = rayleigh_mimo(2, 1, 3, CPU, _gen(0))
    x_hat, gain = uplink(_symbols((2, 3, 4), 0), 10.0, h, _gen(1), "mmse")
    assert gain.shape == (2, 3)
    assert x_hat.shape == (2, 3, 4)
    assert torch.isfinite(torch.view_as_real(x_hat)).all()
    y, _ = MultiUserMIMO(n_antennas=1, detector="mmse")(
        torch.ones(4, 2, dtype=torch.complex64), 0.0
    )
    assert y.shape == (4, 2)


@pytest.mark.parametrize("detector", ["zf", "mmse"])
def test_gradient_flows_through_uplink(detector: str) -> None:
    x = _symbols((4, 3, 8), 0).requires_grad_()
    h = rayleigh_mimo(4, 3, 3, CPU, _gen(1))
    x_hat, _ = uplink(x, 10.0, h, _gen(2), detector)
    x_hat.abs().sum().backward()
    assert x.grad is not None
    grad = torch.view_as_real(x.grad)
    assert torch.isfinite(grad).all()
    assert grad.abs().sum() > 0


def test_rayleigh_mimo_statistics() -> None:
    h = rayleigh_mimo(10_000, 4, 3, CPU, _gen(0))
    assert h.shape == (10_000, 4, 3)
    assert h.dtype == torch.complex64
    assert abs(h.abs().pow(2).mean().item() - 1.0) < 0.02
    assert torch.equal(h, rayleigh_mimo(10_000, 4, 3, "cpu", _gen(0)))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"x": torch.ones(2, 3, 4)},  # real
        {"x": torch.ones(2, 12, dtype=torch.complex64)},  # 2-D
        {"h": torch.ones(2, 3, 2, dtype=torch.complex64)},  # K mismatch
        {"h": torch.ones(3, 3, 3, dtype=torch.complex64)},  # B mismatch
        {"snr_db": torch.zeros(2)},
        {"noise": torch.zeros(2, 3, 5, dtype=torch.complex64)},
        {"detector": "ml"},
    ],
)
def test_uplink_bad_arguments_raise(kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {
        "x": torch.ones(2, 3, 4, dtype=torch.complex64),
        "snr_db": 10.0,
        "h": torch.ones(2, 3, 3, dtype=torch.complex64),
        "detector": "mmse",
    }
    args.update(kwargs)
    with pytest.raises(SemcomError):
        uplink(**args)  # type: ignore[arg-type]


def test_unknown_detector_names_allowed_values() -> None:
    with pytest.raises(SemcomError, match=r"zf.*mmse"):
        create_channel("mu-mimo", detector="ml")


def test_no_fading_is_identity_at_high_snr_and_draws_no_matrix() -> None:
    x = normalize_power(complex_normal((6, 16), CPU, _gen(20)))
    for detector in ("zf", "mmse"):
        ch = MultiUserMIMO(detector=detector, fading="none")
        y, csi = ch(x, 200.0, _gen(21))
        torch.testing.assert_close(y, x, rtol=0.0, atol=1e-5)
        torch.testing.assert_close(csi, torch.ones_like(csi), rtol=0.0, atol=1e-5)
    # Only the noise is drawn: the same generator state gives the AWGN noise draw.
    y, _ = MultiUserMIMO(fading="none")(x, 10.0, _gen(22))
    noise = complex_normal((2, 3, 16), CPU, _gen(22)).reshape(6, 16) * 10 ** (-10 / 20)
    torch.testing.assert_close(y - x, noise, rtol=1e-4, atol=1e-5)
    # ... so with ZF, H = I is the AWGN channel, noise realisation included.
    y_awgn, _ = create_channel("awgn")(x, 10.0, _gen(22))
    torch.testing.assert_close(y, y_awgn, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("detector", ["zf", "mmse"])
def test_no_fading_noise_statistics_are_per_user_awgn(detector: str) -> None:
    groups, k = 4000, 16
    snr_db = torch.tensor([0.0, 10.0, 20.0])
    x = normalize_power(complex_normal((3 * groups, k), CPU, _gen(23)))
    ch = create_channel("mu-mimo", detector=detector, fading="none")
    y, csi = ch(x, snr_db.repeat(groups), _gen(24))
    p = 10 ** (snr_db / 10)
    gain = torch.ones(3) if detector == "zf" else p / (p + 1)
    torch.testing.assert_close(csi[:3, 0].real, gain, rtol=1e-5, atol=1e-6)
    err = (y - gain.repeat(groups).unsqueeze(1) * x).reshape(groups, 3, k)
    var = err.abs().pow(2).mean(dim=(0, 2))
    # ZF: y = x + n / sqrt(p); MMSE: y = p/(p+1) x + sqrt(p)/(p+1) n.
    expected = 1 / p if detector == "zf" else p / (p + 1) ** 2
    torch.testing.assert_close(var, expected, rtol=0.03, atol=0.0)
    assert abs(err.mean().item()) < 0.01


def test_fading_option_is_checked_and_shown() -> None:
    with pytest.raises(SemcomError, match=r"rayleigh.*none"):
        MultiUserMIMO(fading="rician")
    with pytest.raises(SemcomError, match="antennas"):
        MultiUserMIMO(n_users=3, n_antennas=2, detector="mmse", fading="none")
    assert "fading='none'" in repr(MultiUserMIMO(fading="none"))
    assert MultiUserMIMO().fading == "rayleigh"
