"""How much room the GSC refiner has left: where its gain over NGF comes from, measured.

Two measurements on ``gsc-cifar10-awgn`` (and ``gsc-cifar10-rayleigh`` with
``--channel rayleigh-block``), as gains in PSNR over the link's own codec alone (NGF):

* **seen vs unseen images**: the gain on the first N *training* images against the gain on
  the N validation images. If the refiner were held back by too little data, it would do
  markedly better on images it was trained on.
* **self-ensemble**: the refiner run on the decoded image and on its flipped (x2), also
  vertically flipped (x4) and transposed (x8) copies, each output flipped back, averaged
  (as EDSR does). A restoration network that is far from its best estimate gains from this;
  one that is near it hardly does. Costs x2 / x4 / x8 refiner time, so it is not a default.

Sweep semantics (noise seed 0) as in ``bench_gsc_quality_bars.py``; it prints a table and
never asserts. Needs ``../shared/data``. Run from the repository root::

    .venv/bin/python benchmarks/bench_gsc_headroom.py [--channel awgn] [--limit N] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys

import torch
from torch import nn

from cifar_validation import cifar_split
from semcom.data import ImageDataset
from semcom.errors import SemcomError
from semcom.evaluation import RefinedCodec, sweep_codecs
from semcom.evaluation.sweep import Receiver
from semcom.train import load_checkpoint

SNRS = [0.0, 5.0, 10.0, 20.0]
LINKS = {"awgn": "gsc-cifar10-awgn", "rayleigh-block": "gsc-cifar10-rayleigh"}

#: The symmetries of the square used by an n-fold self-ensemble: (transpose, flip dims).
SYMMETRIES: list[tuple[bool, tuple[int, ...]]] = [
    (False, ()),
    (False, (-1,)),
    (False, (-2,)),
    (False, (-1, -2)),
    (True, ()),
    (True, (-1,)),
    (True, (-2,)),
    (True, (-1, -2)),
]


def _apply(x: torch.Tensor, transpose: bool, dims: tuple[int, ...]) -> torch.Tensor:
    x = x.transpose(-1, -2) if transpose else x
    return x.flip(dims) if dims else x


def _undo(x: torch.Tensor, transpose: bool, dims: tuple[int, ...]) -> torch.Tensor:
    x = x.flip(dims) if dims else x
    return x.transpose(-1, -2) if transpose else x


class SelfEnsemble(nn.Module):
    """``refiner`` averaged over ``n`` (2, 4 or 8) symmetries of the image, each output
    mapped back: ``[B, C, H, W] -> [B, C, H, W]`` (square images for n = 8)."""

    def __init__(self, refiner: nn.Module, n: int) -> None:
        super().__init__()
        self.refiner, self.n = refiner, n

    def forward(self, x: torch.Tensor, *args: object) -> torch.Tensor:
        outs = [_undo(self.refiner(_apply(x, t, d), *args), t, d) for t, d in SYMMETRIES[: self.n]]
        return torch.stack(outs).mean(0)


def _gains(link: RefinedCodec, data: ImageDataset, channel: str) -> dict[float, float]:
    """GSC minus NGF PSNR (dB) per SNR."""
    models: dict[str, Receiver] = {"gsc": link, "ngf": link.codec}
    rows = sweep_codecs(models, data, [channel], SNRS, progress=False)
    psnr = {(r.method, r.snr_db): r.psnr_db for r in rows}
    return {s: psnr[("gsc", s)] - psnr[("ngf", s)] for s in SNRS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channel", default="awgn", choices=sorted(LINKS))
    parser.add_argument("--limit", type=int, default=None, help="first N images of each split")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        link = load_checkpoint(f"zoo:{LINKS[args.channel]}")
    except SemcomError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    codec, refiner = link.build_codec(), link.build_refiner()
    assert refiner is not None
    val = cifar_split("eval", args.limit)
    if val is None:
        return 2
    n = len(val)
    seen = cifar_split("train", n)
    assert seen is not None
    results: dict[str, dict[float, float]] = {}
    for label, data, n_ens in (
        ("training images (seen)", seen, 1),
        ("validation images", val, 1),
        ("validation, self-ensemble x2", val, 2),
        ("validation, self-ensemble x4", val, 4),
        ("validation, self-ensemble x8", val, 8),
    ):
        receiver = refiner if n_ens == 1 else SelfEnsemble(refiner, n_ens)
        print(f"measuring: {label}", file=sys.stderr, flush=True)
        results[label] = _gains(RefinedCodec(codec, receiver), data, args.channel)
    print(f"{LINKS[args.channel]} ({args.channel}), {n} images per split, gain over NGF (dB)")
    print(f"  {'':32s} " + "  ".join(f"{s:4g} dB" for s in SNRS))
    for label, r in results.items():
        print(f"  {label:32s} " + "  ".join(f"{r[s]:+6.2f}" for s in SNRS))
    if args.json:
        print(
            json.dumps(
                {
                    "link": LINKS[args.channel],
                    "images": n,
                    "gain_db": {k: {str(s): r[s] for s in SNRS} for k, r in results.items()},
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
