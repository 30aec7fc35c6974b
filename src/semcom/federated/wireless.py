"""The federated uplink of paper 001 (Eqs. 12-14): per-round SNRs, OFDMA rate, delay, energy.

For client ``k`` in round ``t`` with SNR ``psi`` (linear) and bandwidth ``B``::

    rate   v   = B * log2(1 + psi)          bit/s      (Eq. 12)
    delay  tau = Z / v                      s          (Eq. 13, Z = uploaded bits)
    energy E   = P * tau                    J          (Eq. 14)

``B`` is the total uplink bandwidth split equally among the clients that upload in the
round (OFDMA). SNRs are i.i.d. uniform in ``snr_db`` per round and client, or a
Gauss-Markov process in dB (AR(1) with coefficient rho, stationary over the range).

Example:
    >>> from semcom.federated.config import WirelessSettings
    >>> model = WirelessModel(WirelessSettings(), num_clients=3, seed=0)
    >>> snr = model.snr_db(1)
    >>> snr.shape, bool(((snr >= 0) & (snr <= 25)).all())
    ((3,), True)
    >>> link = model.uplink(bits=8e6, snr_db=10.0, participants=4)
    >>> round(link.rate_bps / 1e6, 2), round(link.energy_j, 4)
    (17.3, 0.0463)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from semcom.federated.config import WirelessSettings


@dataclass(frozen=True)
class Uplink:
    """One client's upload in one round.

    Attributes:
        bits: uploaded bits Z.
        snr_db: the client's SNR in that round, dB.
        bandwidth_hz: its OFDMA share B, Hz.
        rate_bps: v = B log2(1 + SNR), bit/s.
        delay_s: tau = Z / v, s.
        energy_j: E = P tau, J.
    """

    bits: float
    snr_db: float
    bandwidth_hz: float
    rate_bps: float
    delay_s: float
    energy_j: float


class WirelessModel:
    """Per-round client SNRs and the cost of an upload (see the module docstring).

    ``snr_db(t)`` is a pure function of ``(seed, t)``: a resumed run sees the SNRs the
    interrupted one would have seen.

    Args:
        settings: the ``[wireless]`` table.
        num_clients: clients ``K`` (partition ids ``0..K-1``).
        seed: seed of the SNR draws.
    """

    def __init__(self, settings: WirelessSettings, num_clients: int, seed: int) -> None:
        self.settings = settings
        self.num_clients = num_clients
        self.seed = seed
        self._cache: dict[int, npt.NDArray[np.float64]] = {}

    def snr_db(self, server_round: int) -> npt.NDArray[np.float64]:
        """SNR of every client in round ``server_round >= 1``: ``[K] float64`` dB."""
        if server_round < 1:
            raise ValueError(f"rounds start at 1, got {server_round}")
        low, high = self.settings.snr_range
        if self.settings.snr_model == "uniform":
            rng = np.random.default_rng([self.seed, server_round, 7])
            return rng.uniform(low, high, self.num_clients)
        if server_round in self._cache:
            return self._cache[server_round]
        # Gauss-Markov in dB: stationary N(mid, (range/4)^2), AR(1) between rounds.
        rho, mid, sd = self.settings.correlation, (low + high) / 2, (high - low) / 4
        rng = np.random.default_rng([self.seed, 11])
        state = rng.standard_normal(self.num_clients)
        for t in range(1, server_round + 1):
            if t > 1:
                state = rho * state + math.sqrt(1 - rho**2) * rng.standard_normal(self.num_clients)
            self._cache[t] = np.clip(mid + sd * state, low, high)
        return self._cache[server_round]

    def uplink(self, bits: float, snr_db: float, participants: int) -> Uplink:
        """Cost of uploading ``bits`` at ``snr_db`` when ``participants`` clients share
        the band (Eqs. 12-14)."""
        if participants < 1:
            raise ValueError(f"participants must be at least 1, got {participants}")
        bandwidth = self.settings.bandwidth_hz / participants
        rate = bandwidth * math.log2(1 + 10 ** (snr_db / 10))
        delay = bits / rate
        return Uplink(
            bits=float(bits),
            snr_db=float(snr_db),
            bandwidth_hz=bandwidth,
            rate_bps=rate,
            delay_s=delay,
            energy_j=self.settings.power_w * delay,
        )
