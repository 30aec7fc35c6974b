"""Paper 003 Fig. 4: PSNR against SNR over AWGN and Rayleigh fading.

GSC (Swin-JSCC + SFT refiner, T steps), NGF (the same codec, no refiner), DeepJSCC,
JPEG+LDPC+QAM (rate 1/2, 4-QAM) and JPEG+capacity, at 0, 5, 10, 15 dB (CPU scale, first
256 images) or 0..15 dB in 1 dB steps on every image (paper scale). Writes ``fig4.csv``
(sweep columns) and ``fig4.png`` (one panel per channel).
"""

from __future__ import annotations

from pathlib import Path

from semcom.evaluation.sweep import write_csv
from semcom.experiments.p003_common import eval_data, figure4_rows, plot_per_channel
from semcom.experiments.recipe import RECIPES, RecipeOptions

CPU_SNRS_DB = [0.0, 5.0, 10.0, 15.0]
PAPER_SNRS_DB = [float(s) for s in range(16)]


def snrs_for(options: RecipeOptions) -> list[float]:
    """The SNR grid (dB) of the scale."""
    return CPU_SNRS_DB if options.scale == "cpu" else PAPER_SNRS_DB


@RECIPES.register("003-fig4", summary="PSNR vs SNR, AWGN and Rayleigh: GSC, NGF, DeepJSCC, JPEG")
def fig4(options: RecipeOptions) -> list[Path]:
    """Run Fig. 4 (module docstring)."""
    data = eval_data(options, cpu_limit=256)
    rows = figure4_rows(options, data, snrs_for(options))
    csv_path = options.out / "fig4.csv"
    write_csv(rows, csv_path)
    png = plot_per_channel(
        rows, "psnr_db", "PSNR (dB)", options.out / "fig4.png",
        f"Paper 003 Fig. 4 — {data.name}, {len(data)} images",
    )  # fmt: skip
    return [csv_path, png]
