"""Evaluating a digital baseline (``digital:...``) the way sweeps evaluate codecs.

Every image is coded whole with ``k = round(cbr * C*H*W)`` channel uses (no tiling: the
image codec handles any size). The noise generator is seeded like the codecs' at the
same SNR. Where an image is not delivered the receiver shows the per-channel mean image
of the evaluated data (see :mod:`semcom.digital.method`).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from semcom.data import ImageDataset, ImageFolder
from semcom.digital.method import DigitalMethod
from semcom.evaluation.scores import Scores
from semcom.metrics import ms_ssim, psnr, ssim
from semcom.metrics.lpips import AlexLPIPS
from semcom.registry import create_channel
from semcom.seeding import make_generator
from semcom.tasks.classifier import accuracy
from semcom.transmission import SSIM_MIN_SIZE

#: Images coded per call of the LDPC chain (Sionna decodes them all at once).
CHUNK = 256


def _uint8_chunks(data: ImageDataset | ImageFolder) -> Iterator[np.ndarray]:
    """``[n, H, W, C] uint8`` groups of same-size images."""
    if isinstance(data, ImageFolder):
        for i in range(len(data)):
            yield data.images[i].permute(1, 2, 0).numpy()[None]
        return
    for start in range(0, len(data), CHUNK):
        yield data.images[start : start + CHUNK].permute(0, 2, 3, 1).numpy()


def channel_means(data: ImageDataset | ImageFolder) -> np.ndarray:
    """``[C] float64``: the per-channel mean pixel value (0-255) of ``data``."""
    total, count = 0.0, 0
    for chunk in _uint8_chunks(data):
        flat = chunk.reshape(-1, chunk.shape[-1]).astype(np.float64)
        total = total + flat.sum(axis=0)
        count += flat.shape[0]
    return np.asarray(total / max(count, 1))


def evaluate_digital(
    method: DigitalMethod,
    data: ImageDataset | ImageFolder,
    channel_name: str,
    snr_db: float,
    *,
    cbr: float,
    seed_value: int,
    mean: np.ndarray | None = None,
    lpips_metric: AlexLPIPS | None = None,
    classifier: torch.nn.Module | None = None,
) -> tuple[Scores, float, str]:
    """Mean scores (PSNR in dB, SSIM, MS-SSIM, LPIPS with ``lpips_metric``), the fraction
    of images delivered, and a note (non-empty when some images could not be coded within
    the budget)."""
    channel = create_channel(channel_name)
    gen = make_generator(seed_value, "cpu")
    mean = channel_means(data) if mean is None else mean
    p: list[float] = []
    s: list[float] = []
    m: list[float | None] = []
    lp: list[float] = []
    right = 0
    use_classifier = (
        classifier is not None and isinstance(data, ImageDataset) and data.labels is not None
    )
    delivered, fits, total = 0, 0, 0
    smallest: int | None = None
    budget = None
    for chunk in _uint8_chunks(data):
        result = method.transmit(chunk, channel, snr_db, gen, cbr=cbr, mean_image=mean)
        k = round(cbr * chunk.shape[1] * chunk.shape[2] * chunk.shape[3])
        budget = method.budget_bytes(k, snr_db)
        delivered += int(result.delivered.sum())
        fits += int(result.fits.sum())
        total += len(chunk)
        smallest = (
            result.smallest_bytes if smallest is None else min(smallest, result.smallest_bytes)
        )
        got = torch.from_numpy(result.images).permute(0, 3, 1, 2).float() / 255
        ref = torch.from_numpy(chunk).permute(0, 3, 1, 2).float() / 255
        p += psnr(got, ref).tolist()
        if min(ref.shape[2:]) >= SSIM_MIN_SIZE:
            s += ssim(got, ref).tolist()
        ms_values = ms_ssim(got, ref)
        m += [None] * len(chunk) if ms_values is None else ms_values.tolist()
        if lpips_metric is not None:
            lp += lpips_metric(got, ref).tolist()
        if use_classifier:
            assert classifier is not None
            assert isinstance(data, ImageDataset)
            assert data.labels is not None
            labels = data.labels[total - len(chunk) : total]
            right += int(accuracy(classifier, got, labels).sum())
    note = ""
    if fits == 0:
        note = (
            f"budget {budget} bytes cannot hold even the smallest {method.codec.name} "
            f"payload ({smallest} bytes): every image shows the mean image"
        )
    elif fits < total:
        note = f"{total - fits}/{total} images do not fit the {budget}-byte budget"
    ms_ok = all(v is not None for v in m)
    ms = float(np.mean([v for v in m if v is not None])) if ms_ok and m else None
    scores = Scores(
        float(np.mean(p)),
        float(np.mean(s)) if s else float("nan"),
        ms,
        float(np.mean(lp)) if lpips_metric is not None else None,
        right / max(total, 1) if use_classifier else None,
    )
    return scores, delivered / max(total, 1), note
