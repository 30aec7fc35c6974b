"""Paper 003 Fig. 6: what NGF and GSC deliver at 0, 5, 10 and 15 dB, side by side.

The first channel's link (AWGN by default) on the first 6 images (CPU scale) or 8 (paper
scale): a row of originals, then per SNR a row of NGF and a row of GSC images, all from the
same channel noise. Writes ``fig6.png`` and ``fig6.csv`` (per-image PSNR of every cell).
"""

from __future__ import annotations

import csv
from pathlib import Path

import torch

from semcom.device import resolve_device
from semcom.evaluation.plots import save_image_grid
from semcom.experiments.p003_common import eval_data, first_batch, load_link
from semcom.experiments.recipe import RECIPES, RecipeOptions
from semcom.link import SemanticLink
from semcom.metrics import psnr
from semcom.registry import create_channel
from semcom.seeding import make_generator

SNRS_DB = [0.0, 5.0, 10.0, 15.0]


@RECIPES.register("003-fig6", summary="picture grid: NGF vs GSC at 0-15 dB")
@torch.no_grad()
def fig6(options: RecipeOptions) -> list[Path]:
    """Run Fig. 6 (module docstring)."""
    device = resolve_device(options.device)
    channel = options.channels[0]
    ckpt = load_link(options.link(channel))
    refiner = ckpt.build_refiner(device)
    link = SemanticLink(ckpt.build_codec(device), create_channel(channel).to(device), refiner)
    data = eval_data(options, cpu_limit=None)
    x = first_batch(data, 6 if options.scale == "cpu" else 8, device)
    grid, labels, cells = [x], ["original"], []
    for snr in SNRS_DB:
        out = link.eval()(x, snr, make_generator(options.seed * 7919 + int(snr), device))
        for name, img in (("NGF", out["x_coarse"]), ("GSC", out["x_hat"])):
            img = img.clamp(0, 1)
            grid.append(img)
            labels.append(f"{name} {snr:g} dB")
            cells += [(name, snr, i, float(v)) for i, v in enumerate(psnr(img, x))]
    png = save_image_grid(grid, labels, options.out / "fig6.png")
    csv_path = options.out / "fig6.csv"
    with csv_path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["method", "snr_db", "image", "psnr_db"])
        w.writerows(cells)
    return [csv_path, png]
