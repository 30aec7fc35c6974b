"""The link's batched forwards, run by the micro-batcher's worker thread.

:class:`LinkEngine` wraps a :class:`~semcom.SemanticLink`: :meth:`LinkEngine.decode_batch`
runs ``refiner(codec.decode(y, snr_db, csi), snr_db)`` on the tiles of several requests at
once; :meth:`LinkEngine.transmit_batch` runs the whole link (encode, channel, decode,
refine). Each request's tiles come back to it in order. A batch runs as forwards of at most
``max_batch`` tiles; with ``pad_shapes`` each forward is padded (repeating its first tile) to
a power of two, so the model only ever sees the shapes 1, 2, 4, ..., ``max_batch``: the
allocator then reuses the same few blocks forward after forward instead of fragmenting the
heap with a new activation size per batch size (see :mod:`semcom.serving.memory`). On the
CPU the link's convolution weights are kept channels-last, which oneDNN runs without
reordering them at every call: 7 and 17 % less time per tile in two measurements of
forwards of 16 for the ``zoo:gsc-cifar10-awgn`` link on one thread of the 2-core machine
(within its run-to-run noise), the same at batch 1.

Example:
    >>> import numpy as np, semcom
    >>> from semcom.serving.engine import DecodeJob, LinkEngine
    >>> engine = LinkEngine(semcom.load("zoo:deepjscc-cifar10-awgn"), max_batch=8)
    >>> y = np.zeros((3, engine.k), dtype=np.complex64)
    >>> [img.shape for img in engine.decode_batch([DecodeJob(y, 10.0, None)])]
    [torch.Size([3, 3, 32, 32])]
    >>> engine.forward_sizes(21)  # (tiles, padded size) of each forward
    [(8, 8), (8, 8), (5, 8)]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch

from semcom.link import SemanticLink


@dataclass(frozen=True)
class DecodeJob:
    """One decode request: ``symbols: [n, k] complex64`` (n tiles), ``snr_db`` (dB),
    ``csi: [n, k] complex64`` or ``None``."""

    symbols: np.ndarray
    snr_db: float
    csi: np.ndarray | None


@dataclass(frozen=True)
class TransmitJob:
    """One transmit request: ``tiles: [n, C, h, w] float32`` in [0, 1], ``snr_db`` (dB), and
    ``seed`` of its channel noise."""

    tiles: torch.Tensor
    snr_db: float
    seed: int


class Engine(Protocol):
    """What the service needs of an engine: :class:`LinkEngine` in this process, or
    :class:`~semcom.serving.process_engine.ProcessEngine` in a child process."""

    @property
    def k(self) -> int:
        """Complex channel uses per tile."""

    @property
    def tile_shape(self) -> tuple[int, int, int]:
        """``(C, h, w)`` of one tile."""

    def info(self) -> dict[str, Any]:
        """What clients need (``GET /v1/info``)."""

    def decode_batch(self, jobs: list[DecodeJob]) -> list[torch.Tensor]:
        """Per job ``[n, C, h, w] float32`` in [0, 1]."""

    def transmit_batch(self, jobs: list[TransmitJob]) -> list[torch.Tensor]:
        """Per job ``[n, C, h, w] float32`` in [0, 1]."""

    def close(self) -> None:
        """Release what the engine holds (after the last batch)."""


def _pad_rows(t: torch.Tensor, rows: int) -> torch.Tensor:
    """``t: [n, ...]`` grown to ``[rows, ...]`` by repeating its first row."""
    n = len(t)
    if rows == n:
        return t
    return torch.cat([t, t[:1].expand(rows - n, *t.shape[1:])])


class LinkEngine:
    """Batched, gradient-free forwards of a link on its device.

    Args:
        link: the link to serve (its refiner's step count as set).
        max_batch: most tiles per forward (a larger batch runs as several forwards).
        threads: torch intra-op threads for the forwards (0: leave torch's setting).
        pad_shapes: pad each forward to a power of two (module docstring); the padding's
            outputs are dropped.
    """

    def __init__(
        self, link: SemanticLink, max_batch: int = 16, threads: int = 0, pad_shapes: bool = True
    ) -> None:
        self.link = link.eval()
        self.max_batch = max_batch
        self.threads = threads
        self.pad_shapes = pad_shapes
        self.device = next(link.codec.parameters()).device
        if self.device.type == "cpu":  # module docstring
            self.link.to(memory_format=torch.channels_last)  # type: ignore[call-overload]

    @property
    def k(self) -> int:
        """Complex channel uses per tile."""
        return int(self.link.codec.k)

    @property
    def tile_shape(self) -> tuple[int, int, int]:
        """``(C, h, w)`` of one tile (the codec's image size)."""
        h, w = self.link.codec.image_size
        return int(self.link.codec.in_channels), int(h), int(w)

    def info(self) -> dict[str, Any]:
        """What a client needs to build requests (``GET /v1/info``)."""
        c, h, w = self.tile_shape
        refiner = self.link.refiner
        return {
            "codec": self.link.codec.name,
            "channel": self.link.channel.name,
            "k": self.k,
            "tile_shape": [c, h, w],
            "refiner": None if refiner is None else type(refiner).__name__,
            "refiner_steps": None if refiner is None else int(getattr(refiner, "steps", 0)),
            "device": str(self.device),
            "max_batch": self.max_batch,
            "pad_shapes": self.pad_shapes,
        }

    def close(self) -> None:
        """Nothing to release in this process."""

    def _threads(self) -> None:
        if self.threads and torch.get_num_threads() != self.threads:
            torch.set_num_threads(self.threads)

    def forward_sizes(self, n: int) -> list[tuple[int, int]]:
        """``(tiles, padded size)`` of each forward that runs ``n`` tiles."""
        sizes = []
        for i in range(0, n, self.max_batch):
            m = min(self.max_batch, n - i)
            padded = min(1 << (m - 1).bit_length(), self.max_batch) if self.pad_shapes else m
            sizes.append((m, max(m, padded)))
        return sizes

    def _run_forwards(
        self, forward: Callable[..., torch.Tensor], *tensors: torch.Tensor | None
    ) -> torch.Tensor:
        """``forward`` over the rows of ``tensors`` (each ``[N, ...]`` or ``None``), one call
        per :meth:`forward_sizes` entry with every tensor padded to its size; the real rows
        of the outputs, concatenated: ``[N, C, h, w] float32`` in [0, 1] on the CPU."""
        first = next(t for t in tensors if t is not None)
        parts, start = [], 0
        for m, rows in self.forward_sizes(len(first)):
            s = slice(start, start + m)
            start += m
            args = [None if t is None else _pad_rows(t[s], rows) for t in tensors]
            parts.append(forward(*args)[:m].clamp(0, 1).float().cpu())
        return torch.cat(parts)

    @torch.inference_mode()
    def decode_batch(self, jobs: list[DecodeJob]) -> list[torch.Tensor]:
        """Decode (and refine) every job's tiles in as few forwards as ``max_batch`` allows.

        Returns, per job, ``[n, C, h, w] float32`` in [0, 1] on the CPU.
        """
        self._threads()
        counts = [len(j.symbols) for j in jobs]
        y = torch.from_numpy(np.concatenate([j.symbols for j in jobs])).to(self.device)
        snr = torch.tensor(
            [j.snr_db for j in jobs for _ in range(len(j.symbols))], device=self.device
        )
        csi: torch.Tensor | None = None
        if any(j.csi is not None for j in jobs):  # ones (no fading) for jobs without CSI
            csi = torch.from_numpy(
                np.concatenate(
                    [j.csi if j.csi is not None else np.ones_like(j.symbols) for j in jobs]
                )
            ).to(self.device)

        def receive(y: torch.Tensor, snr: torch.Tensor, csi: torch.Tensor | None) -> torch.Tensor:
            x = self.link.codec.decode(y, snr, csi)
            return x if self.link.refiner is None else self.link.refiner(x, snr, None)

        return list(torch.split(self._run_forwards(receive, y, snr, csi), counts))

    @torch.inference_mode()
    def transmit_batch(self, jobs: list[TransmitJob]) -> list[torch.Tensor]:
        """Send every job's tiles through the whole link (noise seeded per batch from the
        first job's seed). Returns, per job, ``[n, C, h, w] float32`` in [0, 1] on the CPU."""
        self._threads()
        counts = [len(j.tiles) for j in jobs]
        x = torch.cat([j.tiles for j in jobs]).to(self.device)
        snr = torch.tensor(
            [j.snr_db for j in jobs for _ in range(len(j.tiles))], device=self.device
        )
        gen = torch.Generator(device=self.device).manual_seed(jobs[0].seed)
        out = self._run_forwards(lambda x, snr: self.link(x, snr, gen)["x_hat"], x, snr)
        return list(torch.split(out, counts))
