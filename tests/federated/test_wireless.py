"""The uplink of paper 001 Eqs. 12-14 and the per-round SNR processes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from semcom.federated.config import WirelessSettings
from semcom.federated.wireless import WirelessModel


def test_rate_delay_energy_follow_eqs_12_to_14() -> None:
    model = WirelessModel(WirelessSettings(bandwidth_hz=9e6, power_w=0.1), 9, seed=0)
    up = model.uplink(bits=1e6, snr_db=20.0, participants=9)
    assert up.bandwidth_hz == pytest.approx(1e6)
    assert up.rate_bps == pytest.approx(1e6 * math.log2(101))
    assert up.delay_s == pytest.approx(1e6 / up.rate_bps)
    assert up.energy_j == pytest.approx(0.1 * up.delay_s)
    # more bits cost proportionally more; a better channel costs less
    assert model.uplink(2e6, 20.0, 9).energy_j == pytest.approx(2 * up.energy_j)
    assert model.uplink(1e6, 25.0, 9).energy_j < up.energy_j


@pytest.mark.parametrize("kind", ["uniform", "gauss-markov"])
def test_snr_processes_stay_in_range_and_are_reproducible(kind: str) -> None:
    settings = WirelessSettings(snr_model=kind, snr_db=(0.0, 25.0), correlation=0.9)
    a = WirelessModel(settings, 50, seed=3)
    draws = np.stack([a.snr_db(t) for t in range(1, 41)])
    assert draws.shape == (40, 50)
    assert draws.min() >= 0.0
    assert draws.max() <= 25.0
    b = WirelessModel(settings, 50, seed=3)
    assert np.array_equal(b.snr_db(17), a.snr_db(17))  # a resumed run sees the same SNRs
    assert not np.array_equal(WirelessModel(settings, 50, seed=4).snr_db(17), a.snr_db(17))
    lag1 = np.corrcoef(draws[:-1].ravel(), draws[1:].ravel())[0, 1]
    if kind == "uniform":
        assert abs(lag1) < 0.1
        assert abs(draws.mean() - 12.5) < 0.5
    else:
        assert lag1 > 0.7  # correlated between rounds
