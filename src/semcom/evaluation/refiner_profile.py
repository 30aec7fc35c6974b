"""The refiner profile: quality and latency of a link for every step count and SNR.

For steps 1..T and each SNR (dB) it measures, on the given images, the mean per-image PSNR
(dB) and SSIM of codec + channel + refiner (sweep semantics: noise seeded per SNR) and the
latency of the whole link (encode, channel, decode, refine; no metrics) in seconds per
image at the given batch size, the median of ``repeats`` timed passes over one batch.
The QoE optimiser reads the JSON it writes (its "similarity" is ``ssim``)::

    {"T": 4, "image_size": [32, 32], "rows": [{"snr_db": 0.0, "steps": 1, "psnr_db": ...,
      "ssim": ..., "latency_s_per_image": ...}, ...], "ngf": [{"snr_db", "psnr_db", "ssim"}],
     "data": "...", "n_images": N, "batch_size": 64, "device": "cpu", "threads": 2}

``ngf`` holds the codec alone (no refiner) for reference.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import torch

from semcom.data import ImageDataset
from semcom.evaluation.sweep import RefinedCodec, evaluate_codec
from semcom.link import SemanticLink
from semcom.registry import create_channel
from semcom.seeding import make_generator
from semcom.train.progress import make_progress

PROFILE_SNRS_DB = [0.0, 5.0, 10.0, 15.0, 20.0]


@torch.no_grad()
def link_latency_s(link: SemanticLink, x: torch.Tensor, snr_db: float, repeats: int = 3) -> float:
    """Median seconds per image of ``link(x, snr_db)`` for the batch ``x: [B, C, H, W]``."""
    gen = make_generator(0, x.device)
    link(x, snr_db, gen)  # warm-up
    times = []
    for _ in range(repeats):
        if x.device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        link(x, snr_db, gen)
        if x.device.type == "cuda":
            torch.cuda.synchronize()
        times.append((time.perf_counter() - t0) / len(x))
    return statistics.median(times)


def refiner_profile(
    model: RefinedCodec,
    data: ImageDataset,
    channel: str,
    snrs_db: list[float] | None = None,
    *,
    batch_size: int = 64,
    repeats: int = 3,
    seed: int = 0,
    device: torch.device | str = "cpu",
    progress: bool = True,
) -> dict[str, Any]:
    """The profile dict (module docstring) of ``model`` on ``data`` over ``channel``."""
    snrs = list(PROFILE_SNRS_DB if snrs_db is None else snrs_db)
    timesteps = int(model.refiner.timesteps)  # type: ignore[arg-type]
    codec = model.codec.to(device).eval()
    refiner = model.refiner.to(device).eval()
    link = SemanticLink(codec, create_channel(channel).to(device), refiner).eval()
    batch = data.batch(slice(0, min(batch_size, len(data)))).to(device)
    rows, ngf = [], []
    with make_progress(progress) as bar:
        task = bar.add_task("profile", total=len(snrs) * (timesteps + 1), status="")
        for snr in snrs:
            bar.update(task, status=f"NGF {snr:g} dB")
            sc = evaluate_codec(codec, data, channel, snr, seed=seed, device=device)
            ngf.append({"snr_db": snr, "psnr_db": sc.psnr_db, "ssim": sc.ssim})
            bar.update(task, advance=1)
            for steps in range(1, timesteps + 1):
                bar.update(task, status=f"{steps} steps {snr:g} dB")
                refined = RefinedCodec(codec, refiner, steps)
                sc = evaluate_codec(refined, data, channel, snr, seed=seed, device=device)
                refiner.set_steps(steps)  # type: ignore[operator]
                latency = link_latency_s(link, batch, snr, repeats)
                rows.append(
                    {
                        "snr_db": snr,
                        "steps": steps,
                        "psnr_db": sc.psnr_db,
                        "ssim": sc.ssim,
                        "latency_s_per_image": latency,
                    }
                )
                bar.update(task, advance=1)
    refiner.set_steps(timesteps)  # type: ignore[operator]
    return {
        "T": timesteps,
        "image_size": list(codec.image_size),
        "rows": rows,
        "ngf": ngf,
        "data": data.name,
        "n_images": len(data),
        "channel": channel,
        "batch_size": len(batch),
        "device": str(device),
        "threads": torch.get_num_threads(),
    }
