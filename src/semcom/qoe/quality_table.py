"""Quality versus diffusion steps: what the QoE environment reads similarity and compute from.

A :class:`QualityTable` holds, for every SNR of a grid and every reverse-step count
1..T, the similarity (``ssim``, in [0, 1]) of the refined image and the edge compute
time of the link in seconds per full-resolution frame (``latency_s_per_image``). It is
read from the JSON ``semcom refiner-profile`` writes (a real GSC link measured on real
images), or built by :meth:`QualityTable.default` (documented below). Between grid SNRs
the values are interpolated linearly; outside the grid they are held at the edge.

The default table (T = 10) models a refiner that runs one network pass per reverse step,
the premise of paper 002 ("the diffusion step ... the number of steps of removing
Gaussian noise by running a neural network"):

- ``ssim(s, snr) = base(snr) + (1 - base(snr)) * 0.6 * (1 - exp(-s / 3))``, where
  ``base`` is the SSIM the paper's Swin-JSCC (``zoo:swinjscc-cifar10-awgn``, the first
  ``zoo:gsc-cifar10-awgn`` links' codec) reaches without a refiner on the shared CIFAR-10
  validation images (0.766, 0.880, 0.931, 0.952, 0.959 at 0, 5, 10, 15, 20 dB; the
  ``ngf`` rows of ``semcom refiner-profile --limit 500`` on that first link): steps help
  most where the channel is bad;
- ``latency_s_per_image(s) = 0.003 + 0.004 * s``: the codec's measured 3 ms per image on
  a 2-core CPU plus 4 ms per reverse pass (assumed).

Our own DiffIR-style refiner runs its diffusion on a compact vector, so its measured
profile is almost flat in the step count (docs/qoe.md shows one): with it the step count
barely matters, which is itself a finding the environment lets one check.

Example:
    >>> t = QualityTable.default()
    >>> t.max_steps, round(float(t.ssim(1, 0.0)), 3), round(float(t.ssim(10, 0.0)), 3)
    (10, 0.806, 0.901)
    >>> round(float(t.latency_s(4, 7.5)), 3)
    0.019
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from semcom.errors import SemcomError

#: SSIM of zoo:swinjscc-cifar10-awgn alone (no refiner) at 0, 5, 10, 15, 20 dB.
DEFAULT_BASE_SSIM = {0.0: 0.766, 5.0: 0.880, 10.0: 0.931, 15.0: 0.952, 20.0: 0.959}
DEFAULT_STEPS = 10


@dataclass(frozen=True)
class QualityTable:
    """SSIM and latency per (SNR, steps).

    Attributes:
        snrs_db: grid SNRs, ascending ``[S]``.
        ssim_table: ``[S, T]`` float64, row = SNR, column = steps - 1, values in [0, 1].
        latency_table: ``[S, T]`` float64 seconds per full-resolution frame, > 0.
        source: where it came from (a path or ``"default"``).
    """

    snrs_db: np.ndarray
    ssim_table: np.ndarray
    latency_table: np.ndarray
    source: str = "default"

    @property
    def max_steps(self) -> int:
        """T: the largest step count in the table."""
        return int(self.ssim_table.shape[1])

    def _interp(self, table: np.ndarray, steps: np.ndarray, snr_db: np.ndarray) -> np.ndarray:
        steps = np.clip(np.asarray(steps, dtype=np.int64), 1, self.max_steps) - 1
        snr = np.clip(np.asarray(snr_db, dtype=np.float64), self.snrs_db[0], self.snrs_db[-1])
        hi = np.clip(np.searchsorted(self.snrs_db, snr, side="right"), 1, len(self.snrs_db) - 1)
        lo = hi - 1
        span = self.snrs_db[hi] - self.snrs_db[lo]
        w = np.where(span > 0, (snr - self.snrs_db[lo]) / np.where(span > 0, span, 1.0), 0.0)
        out: np.ndarray = (1 - w) * table[lo, steps] + w * table[hi, steps]
        return out

    def ssim(self, steps: Any, snr_db: Any) -> Any:
        """SSIM after ``steps`` reverse steps at ``snr_db`` (arrays broadcast; floats in)."""
        if len(self.snrs_db) == 1:
            return self.ssim_table[0, np.clip(np.asarray(steps), 1, self.max_steps) - 1]
        return self._interp(self.ssim_table, steps, snr_db)

    def latency_s(self, steps: Any, snr_db: Any) -> Any:
        """Edge compute seconds per full-resolution frame for ``steps`` at ``snr_db``."""
        if len(self.snrs_db) == 1:
            return self.latency_table[0, np.clip(np.asarray(steps), 1, self.max_steps) - 1]
        return self._interp(self.latency_table, steps, snr_db)

    def digest(self) -> str:
        """sha256 of the table's values (part of the environment's configuration hash)."""
        h = hashlib.sha256()
        for a in (self.snrs_db, self.ssim_table, self.latency_table):
            h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
        return h.hexdigest()

    def to_profile(self) -> dict[str, Any]:
        """The table as a ``refiner-profile`` JSON dict (``T``, ``rows``)."""
        rows = [
            {
                "snr_db": float(snr),
                "steps": s + 1,
                "ssim": float(self.ssim_table[i, s]),
                "latency_s_per_image": float(self.latency_table[i, s]),
            }
            for i, snr in enumerate(self.snrs_db)
            for s in range(self.max_steps)
        ]
        return {"T": self.max_steps, "rows": rows, "source": self.source}

    @classmethod
    def default(cls) -> QualityTable:
        """The documented default table (module docstring)."""
        snrs = np.array(sorted(DEFAULT_BASE_SSIM), dtype=np.float64)
        base = np.array([DEFAULT_BASE_SSIM[s] for s in snrs])[:, None]
        steps = np.arange(1, DEFAULT_STEPS + 1, dtype=np.float64)[None, :]
        ssim = base + (1 - base) * 0.6 * (1 - np.exp(-steps / 3.0))
        latency = np.broadcast_to(0.003 + 0.004 * steps, ssim.shape).copy()
        return cls(snrs, ssim, latency, "default")

    @classmethod
    def from_profile(cls, profile: dict[str, Any], source: str = "profile") -> QualityTable:
        """Build from a ``refiner-profile`` dict; a malformed one raises :class:`SemcomError`."""
        if not isinstance(profile, dict) or "rows" not in profile or "T" not in profile:
            raise SemcomError(f"quality table {source}: needs keys 'T' and 'rows'")
        T = profile["T"]
        if not isinstance(T, int) or isinstance(T, bool) or T < 1:
            raise SemcomError(f"quality table {source}: 'T' must be an integer >= 1, got {T!r}")
        rows = profile["rows"]
        if not isinstance(rows, list) or not rows:
            raise SemcomError(f"quality table {source}: 'rows' must be a non-empty list")
        cells: dict[tuple[float, int], tuple[float, float]] = {}
        for n, row in enumerate(rows):
            try:
                snr = float(row["snr_db"])
                steps = row["steps"]
                ssim = float(row["ssim"])
                latency = float(row["latency_s_per_image"])
            except (KeyError, TypeError, ValueError) as e:
                raise SemcomError(
                    f"quality table {source}: row {n} needs numeric snr_db, steps, ssim and "
                    f"latency_s_per_image ({e.__class__.__name__}: {e})"
                ) from None
            if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= T:
                raise SemcomError(
                    f"quality table {source}: row {n} has steps {steps!r}, not in 1..{T}"
                )
            if not (math.isfinite(snr) and 0.0 <= ssim <= 1.0):
                raise SemcomError(f"quality table {source}: row {n} has ssim {ssim} not in [0, 1]")
            if not (math.isfinite(latency) and latency > 0):
                raise SemcomError(
                    f"quality table {source}: row {n} has latency {latency}, must be > 0"
                )
            if (snr, steps) in cells:
                raise SemcomError(
                    f"quality table {source}: two rows for {snr:g} dB and {steps} steps"
                )
            cells[(snr, steps)] = (ssim, latency)
        snrs = sorted({snr for snr, _ in cells})
        missing = [(s, k) for s in snrs for k in range(1, T + 1) if (s, k) not in cells]
        if missing:
            s, k = missing[0]
            raise SemcomError(
                f"quality table {source}: {len(missing)} (SNR, steps) cells missing, "
                f"e.g. {s:g} dB with {k} steps"
            )
        ssim_t = np.array([[cells[(s, k)][0] for k in range(1, T + 1)] for s in snrs])
        lat_t = np.array([[cells[(s, k)][1] for k in range(1, T + 1)] for s in snrs])
        return cls(np.array(snrs, dtype=np.float64), ssim_t, lat_t, source)

    @classmethod
    def load(cls, path: str | Path | None) -> QualityTable:
        """``None`` or ``"default"``: the default; else a ``refiner-profile`` JSON file."""
        if path is None or str(path) == "default":
            return cls.default()
        p = Path(path)
        if not p.is_file():
            raise SemcomError(f"quality table {p} not found (a `semcom refiner-profile` JSON)")
        try:
            profile = json.loads(p.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise SemcomError(f"quality table {p} is not valid JSON: {e}") from None
        return cls.from_profile(profile, str(p))
