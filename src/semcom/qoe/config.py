"""The QoE environment's configuration: frozen, validated, hashed.

Every result of ``semcom qoe`` records :func:`config_hash` so that agents are only
compared on the same environment (the configuration is fixed before any agent is
tuned).

Example:
    >>> cfg = QoEConfig(users=5)
    >>> cfg.users, len(config_hash(cfg))
    (5, 12)
    >>> QoEConfig(max_steps=0)
    Traceback (most recent call last):
    ...
    semcom.errors.SemcomError: max_steps (T_max) must be at least 1, got 0
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

from semcom.errors import SemcomError
from semcom.qoe.quality_table import QualityTable

MIN_USERS, MAX_USERS = 2, 20


@dataclass(frozen=True)
class QoEConfig:
    """Parameters of ``semcom/QoE-v0`` (units in the names).

    Attributes:
        users: N, number of users (2-20).
        bandwidth_hz: shared OFDMA bandwidth budget; each episode scales it by a factor
            drawn from ``budget_scale`` (the "status of the bandwidth resource").
        compute_s: edge compute budget, seconds of refiner time per decision step; scaled
            per episode like the bandwidth.
        budget_scale: ``(low, high)`` range of the per-episode budget factors.
        resolution: ``(low, high)`` range of the resolution ratio an action picks.
        max_steps: T_max, the largest number of reverse diffusion steps (1..T_max); the
            quality table must cover it (``None``: the table's T).
        quality_table: ``None`` (the documented default) or a ``semcom refiner-profile``
            JSON path.
        snr_db: ``(low, high)`` range of a user's mean SNR, drawn per episode.
        snr_std_db: standard deviation of the per-step Gauss-Markov SNR variation.
        snr_corr: its one-step correlation (0: i.i.d. per step, 1: constant).
        threshold: ``(low, high)`` range of the per-user QoE threshold, drawn per episode.
        demand_fps: ``(low, high)`` range of the per-user demand, frames per second.
        frame_bits: bits of one full-resolution frame (bitrate = demand x bits x ratio^2).
        w_bitrate: w1, weight of the normalised bitrate in QoE.
        w_similarity: w2, weight of the similarity (SSIM) in QoE.
        penalty_bandwidth: penalty per unit of relative bandwidth overuse, times N.
        penalty_compute: penalty per unit of relative compute overuse, times N.
        penalty_threshold: penalty per unit of QoE below a user's threshold.
        episode_len: decision steps per episode.
    """

    users: int = 10
    bandwidth_hz: float = 5e6
    compute_s: float = 1.5
    budget_scale: tuple[float, float] = (0.5, 1.0)
    resolution: tuple[float, float] = (0.25, 1.0)
    max_steps: int | None = None
    quality_table: str | None = None
    snr_db: tuple[float, float] = (0.0, 20.0)
    snr_std_db: float = 2.0
    snr_corr: float = 0.9
    threshold: tuple[float, float] = (0.4, 0.7)
    demand_fps: tuple[float, float] = (5.0, 15.0)
    frame_bits: float = 2e5
    w_bitrate: float = 0.5
    w_similarity: float = 0.5
    penalty_bandwidth: float = 2.0
    penalty_compute: float = 2.0
    penalty_threshold: float = 1.0
    episode_len: int = 20

    def __post_init__(self) -> None:
        for name in ("budget_scale", "resolution", "snr_db", "threshold", "demand_fps"):
            value = getattr(self, name)
            try:
                lo, hi = (float(v) for v in value)
            except (TypeError, ValueError):
                raise SemcomError(f"{name} must be a (low, high) pair, got {value!r}") from None
            if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
                raise SemcomError(f"{name} must be finite with low <= high, got {value!r}")
            object.__setattr__(self, name, (lo, hi))
        if not MIN_USERS <= self.users <= MAX_USERS:
            raise SemcomError(f"users must be in {MIN_USERS}..{MAX_USERS}, got {self.users}")
        for name in ("bandwidth_hz", "compute_s", "frame_bits"):
            if not getattr(self, name) > 0:
                raise SemcomError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.budget_scale[0] <= 0:
            raise SemcomError(f"budget_scale must be > 0, got {self.budget_scale}")
        if not 0 < self.resolution[0] <= self.resolution[1] <= 1:
            raise SemcomError(f"resolution must lie in (0, 1], got {self.resolution}")
        if self.max_steps is not None and self.max_steps < 1:
            raise SemcomError(f"max_steps (T_max) must be at least 1, got {self.max_steps}")
        if self.demand_fps[0] <= 0:
            raise SemcomError(f"demand_fps must be > 0, got {self.demand_fps}")
        if self.snr_std_db < 0 or not 0 <= self.snr_corr <= 1:
            raise SemcomError("snr_std_db must be >= 0 and snr_corr in [0, 1]")
        for name in (
            "w_bitrate",
            "w_similarity",
            "penalty_bandwidth",
            "penalty_compute",
            "penalty_threshold",
        ):
            if getattr(self, name) < 0:
                raise SemcomError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.episode_len < 1:
            raise SemcomError(f"episode_len must be at least 1, got {self.episode_len}")
        table = self.table()
        if self.max_steps is not None and self.max_steps > table.max_steps:
            raise SemcomError(
                f"max_steps {self.max_steps} exceeds the quality table's T = {table.max_steps}"
            )

    def table(self) -> QualityTable:
        """The quality table (loaded from ``quality_table`` or the default), read once per
        configuration: validation, ``t_max``, the hash and the environment share it."""
        return self._table

    @functools.cached_property
    def _table(self) -> QualityTable:
        return QualityTable.load(self.quality_table)

    @property
    def t_max(self) -> int:
        """T_max (``max_steps`` or the table's T)."""
        return self.max_steps if self.max_steps is not None else self.table().max_steps

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples as lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.as_items()}

    def as_items(self) -> list[tuple[str, Any]]:
        return [(f.name, getattr(self, f.name)) for f in dataclasses.fields(self)]

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> QoEConfig:
        """Inverse of :meth:`to_dict`; unknown keys raise :class:`SemcomError`."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise SemcomError(f"unknown QoE setting(s) {', '.join(unknown)}")
        clean: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in values.items()
        }
        return cls(**clean)


def config_hash(config: QoEConfig) -> str:
    """12 hex characters identifying the environment: its settings and its table's values."""
    payload = dict(config.to_dict())
    payload["quality_table"] = config.table().digest()
    payload["max_steps"] = config.t_max
    text = json.dumps(payload, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]
