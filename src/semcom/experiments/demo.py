"""The ``semcom demo`` recipe: train a small DeepJSCC, fine-tune a zoo model, sweep, report.

CPU only, no downloads:

1. DeepJSCC (cbr 1/6) is trained from scratch on the bundled ``patches`` over AWGN with
   SNR drawn from 0-20 dB for a fixed time budget (``train_minutes``);
2. the zoo's ``deepjscc-cifar10-awgn`` (trained on CIFAR-10 images) is fine-tuned on
   the same patches for ``finetune_minutes`` (lr :data:`FINETUNE_LR`);
3. all three (scratch, zoo as shipped, zoo fine-tuned) are evaluated on the test
   patches over AWGN and Rayleigh block fading at 0-20 dB with the same noise.

The output folder holds ``results.csv``, ``psnr_vs_snr.png``, ``grid.png`` (original vs
received at 0, 10 and 20 dB, scratch model), ``finetune.png`` (the zoo model at 5 dB
before and after fine-tuning) and ``report.md`` opening with the grid. Re-running
continues the saved training runs instead of starting over.

4. (``twins=True``, the default) the human-digital-twin scenario of
   :mod:`semcom.experiments.demo_twins` — twin store, FLeS rounds on Flower, sync, one
   twin's history — as the report's last section (``twin.png``, ``twins/``).

Example:
    >>> import tempfile
    >>> from semcom.experiments.demo import SCRATCH, run_demo
    >>> result = run_demo(tempfile.mkdtemp(), train_minutes=0.01, finetune_minutes=0,
    ...                   progress=False, twins=False)
    >>> {r.method for r in result.rows} == {SCRATCH}, len(result.rows), result.report.name
    (True, 10, 'report.md')
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from semcom.codecs.base import Codec
from semcom.config import TrainConfig
from semcom.data import load_images
from semcom.evaluation import SweepRow, sweep_codecs, write_csv
from semcom.evaluation.plots import plot_psnr_vs_snr, save_image_grid
from semcom.registry import create_channel
from semcom.seeding import make_generator
from semcom.train.checkpoint import load_checkpoint
from semcom.train.progress import STDERR
from semcom.train.trainer import TrainResult, train

DEMO_SNRS_DB = [0.0, 5.0, 10.0, 15.0, 20.0]
DEMO_CHANNELS = ["awgn", "rayleigh-block"]
GRID_SNRS_DB = [0.0, 10.0, 20.0]
#: The zoo model the demo fine-tunes, its learning rate and the SNR of its picture (dB).
FINETUNE_MODEL = "zoo:deepjscc-cifar10-awgn"
FINETUNE_LR = 3e-4
FINETUNE_SNR_DB = 5.0
#: Method labels in results.csv.
SCRATCH, ZOO, TUNED = "deepjscc (trained here)", "zoo cifar10", "zoo cifar10 + fine-tune"


@dataclass
class DemoResult:
    """Paths and figures of a demo run.

    Attributes:
        out: the output folder.
        report: ``report.md``.
        checkpoint: the model trained from scratch.
        finetuned: the fine-tuned zoo model, or ``None`` when fine-tuning was skipped.
        rows: every sweep row (methods :data:`SCRATCH`, :data:`ZOO`, :data:`TUNED`).
        seconds: wall time of the whole demo.
    """

    out: Path
    report: Path
    checkpoint: Path
    finetuned: Path | None
    rows: list[SweepRow]
    seconds: float


def _table(rows: list[SweepRow], methods: list[str]) -> list[str]:
    """A markdown table: one line per (channel, SNR), one PSNR column per method."""
    lines = [
        "| channel | SNR (dB) | " + " | ".join(f"{m} PSNR (dB)" for m in methods) + " |",
        "|---|---:|" + "---:|" * len(methods),
    ]
    by_key = {(r.method, r.channel, r.snr_db): r for r in rows}
    for ch in DEMO_CHANNELS:
        for snr in DEMO_SNRS_DB:
            cells = [f"{by_key[(m, ch, snr)].psnr_db:.2f}" for m in methods]
            lines.append(f"| {ch} | {snr:g} | " + " | ".join(cells) + " |")
    return lines


def _report(
    out: Path,
    cfg: TrainConfig,
    result: TrainResult,
    tuned: TrainResult | None,
    rows: list[SweepRow],
    n_test: int,
) -> Path:
    train_s = result.history[-1]["elapsed_s"] if result.history else 0.0
    methods = [SCRATCH] + ([ZOO, TUNED] if tuned is not None else [])
    lines = [
        "# semcom demo: DeepJSCC over AWGN and Rayleigh fading",
        "",
        "![original (top) and received images at 0, 10 and 20 dB over AWGN](grid.png)",
        "",
        "Top row: test patches; below: what the receiver reconstructs at 0, 10 and 20 dB "
        "channel SNR (AWGN), with the model trained here.",
        "",
        f"DeepJSCC (cbr {cfg.cbr:.4f}, {len(result.history)} epochs, {train_s / 60:.1f} min on "
        f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads) "
        f"trained from scratch on `{cfg.data}` over `{cfg.channel}` with SNR uniform in "
        f"{cfg.snr_db[0]:g}-{cfg.snr_db[1]:g} dB; evaluated on {n_test} held-out test "
        "patches (disjoint image regions) with a fixed noise seed.",
    ]
    if tuned is not None:
        tune_s = tuned.history[-1]["elapsed_s"] if tuned.history else 0.0
        lines += [
            "",
            f"![test patches, then the zoo model at {FINETUNE_SNR_DB:g} dB before and after "
            "fine-tuning](finetune.png)",
            "",
            f"`{FINETUNE_MODEL}` was trained on CIFAR-10 photographs; `{TUNED}` is the same "
            f"model after {tune_s / 60:.1f} min of fine-tuning on the training patches "
            f"(lr {FINETUNE_LR:g}, same SNR range). The picture shows it at "
            f"{FINETUNE_SNR_DB:g} dB (AWGN) before (middle) and after (bottom).",
        ]
    lines += ["", "![PSNR versus SNR](psnr_vs_snr.png)", "", *_table(rows, methods)]
    lines += [
        "",
        "PSNR is the mean over images of per-image values; `results.csv` also has SSIM. "
        f"Files: `results.csv`, `psnr_vs_snr.png`, `grid.png`, checkpoint "
        f"`{result.checkpoint.name}` in `train/` (reuse it: "
        f"`semcom sweep --checkpoint {result.checkpoint}`)"
        + (f" and `{tuned.checkpoint.name}` in `finetune/`." if tuned is not None else "."),
        "",
    ]
    path = out / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _received(codec: Codec, x: torch.Tensor, snr_db: float) -> torch.Tensor:
    """``codec``'s reconstruction of ``x: [B, C, H, W]`` over AWGN at ``snr_db`` (seeded)."""
    gen = make_generator(int(snr_db), x.device)
    with torch.no_grad():
        out: torch.Tensor = codec(x, create_channel("awgn"), snr_db, gen)["x_hat"].clamp(0, 1)
    return out


def run_demo(
    out: str | Path = "semcom-demo",
    *,
    train_minutes: float = 2.5,
    finetune_minutes: float = 1.0,
    device: str = "auto",
    progress: bool = True,
    twins: bool = True,
    twin_rounds: int = 5,
) -> DemoResult:
    """Run the demo into ``out`` (see the module docstring).

    Args:
        out: output folder; re-running continues its saved training runs.
        train_minutes: wall-clock budget of the training from scratch.
        finetune_minutes: wall-clock budget of the zoo model's fine-tune (0: skip it).
        device: ``auto``, ``cpu`` or ``cuda``.
        progress: show progress bars on stderr.
        twins: end with the twin scenario (:mod:`semcom.experiments.demo_twins`).
        twin_rounds: FLeS rounds of the twin scenario.
    """
    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    steps = (4 if finetune_minutes > 0 else 3) + (1 if twins else 0)
    cfg = TrainConfig(
        codec="deepjscc",
        data="patches",
        channel="awgn",
        snr_db=(0.0, 20.0),
        cbr=1 / 6,
        time_budget_min=train_minutes,
        batch_size=64,
        lr=1e-3,
        seed=0,
        device=device,
        out=str(out / "train"),
        val_images=256,
    )
    STDERR.print(f"[bold]1/{steps}[/] training DeepJSCC on patches for {train_minutes:g} min")
    result = train(cfg, resume=True, progress=progress)
    codecs: dict[str, Codec] = {SCRATCH: result.codec}
    dev = next(result.codec.parameters()).device

    tuned: TrainResult | None = None
    if finetune_minutes > 0:
        STDERR.print(
            f"[bold]2/{steps}[/] fine-tuning {FINETUNE_MODEL} on patches for "
            f"{finetune_minutes:g} min"
        )
        codecs[ZOO] = load_checkpoint(FINETUNE_MODEL).build_codec(dev)
        tune_cfg = cfg.replace(
            init=FINETUNE_MODEL,
            lr=FINETUNE_LR,
            time_budget_min=finetune_minutes,
            out=str(out / "finetune"),
        )
        tuned = train(tune_cfg, resume=True, progress=progress)
        codecs[TUNED] = tuned.codec

    test = load_images("patches", "eval")
    last_sweep = steps - 2 if twins else steps - 1
    STDERR.print(
        f"[bold]{last_sweep}/{steps}[/] sweeping {len(test)} test patches over "
        f"{', '.join(DEMO_CHANNELS)}"
    )
    rows = sweep_codecs(codecs, test, DEMO_CHANNELS, DEMO_SNRS_DB, device=dev, progress=progress)
    write_csv(rows, out / "results.csv")
    plot_psnr_vs_snr(rows, out / "psnr_vs_snr.png", title=f"DeepJSCC, {len(test)} test patches")

    last = steps - 1 if twins else steps
    STDERR.print(f"[bold]{last}/{steps}[/] writing the pictures and the report")
    x = test.batch(slice(0, 8)).to(dev)
    grid = [x] + [_received(result.codec, x, snr) for snr in GRID_SNRS_DB]
    save_image_grid(grid, ["original"] + [f"{s:g} dB" for s in GRID_SNRS_DB], out / "grid.png")
    if tuned is not None:
        save_image_grid(
            [
                x,
                _received(codecs[ZOO], x, FINETUNE_SNR_DB),
                _received(tuned.codec, x, FINETUNE_SNR_DB),
            ],
            ["original", "zoo", "fine-tuned"],
            out / "finetune.png",
        )
    report = _report(out, cfg, result, tuned, rows, len(test))
    if twins:
        from semcom.experiments.demo_twins import run_twin_demo, twin_report_lines

        STDERR.print(
            f"[bold]{steps}/{steps}[/] human digital twins: store, {twin_rounds} FLeS rounds "
            "on Flower, sync, history"
        )
        demo = run_twin_demo(out, rounds=twin_rounds, progress=progress)
        with report.open("a", encoding="utf-8") as f:
            f.write("\n".join(twin_report_lines(demo)))
    return DemoResult(
        out,
        report,
        result.checkpoint,
        None if tuned is None else tuned.checkpoint,
        rows,
        time.perf_counter() - t0,
    )
