"""Issue 5's quality bars on the CIFAR-10 validation split, measured in one run.

* ``gsc-cifar10-awgn`` >= its own codec without the refiner (NGF) + 0.5 dB PSNR at 0 and
  5 dB, and never more than 0.1 dB below NGF at 10, 15 and 20 dB (AWGN);
* ``gsc-cifar10-<channel>`` >= ``deepjscc-cifar10-<channel>`` + 1.5 dB at 0 and 5 dB and
  + 1.0 dB at 10 and 15 dB, over AWGN and over Rayleigh block fading.

Sweep semantics (noise seed 0, the refiner's diffusion noise from the same generator) on
the 544 validation images the zoo models never trained on (``#val=0.1`` of the shared
CIFAR-10 subset). Links that are not in the zoo yet are reported as missing. It prints a
table and, per bar, the margin and whether it is met; it never asserts. Needs
``../shared/data``.

Run from the repository root::

    .venv/bin/python benchmarks/bench_gsc_quality_bars.py [--limit N] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys

from cifar_validation import cifar_split
from semcom.errors import SemcomError
from semcom.evaluation import RefinedCodec, sweep_codecs
from semcom.train import load_checkpoint

SNRS = [0.0, 5.0, 10.0, 15.0, 20.0]
PAIRS = {  # channel: (GSC link, DeepJSCC model)
    "awgn": ("gsc-cifar10-awgn", "deepjscc-cifar10-awgn"),
    "rayleigh-block": ("gsc-cifar10-rayleigh", "deepjscc-cifar10-rayleigh"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="first N validation images")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    data = cifar_split("eval", args.limit)
    if data is None:
        return 2
    psnr: dict[tuple[str, str, float], float] = {}
    bars: list[tuple[str, float, float, bool]] = []
    print(f"CIFAR-10 validation split, {len(data)} images, PSNR (dB):", file=sys.stderr)
    for channel, (gsc, deep) in PAIRS.items():
        try:
            link = load_checkpoint(f"zoo:{gsc}")
        except SemcomError as e:
            print(f"  {channel}: {gsc} missing ({e})", file=sys.stderr)
            continue
        refiner = link.build_refiner()
        assert refiner is not None
        codec = link.build_codec()
        models = {
            gsc: RefinedCodec(codec, refiner),
            f"{gsc} NGF": codec,
            deep: load_checkpoint(f"zoo:{deep}").build_codec(),
        }
        for r in sweep_codecs(models, data, [channel], SNRS, progress=False):
            psnr[(r.method, channel, r.snr_db)] = r.psnr_db
        for method in models:
            cells = "  ".join(f"{psnr[(method, channel, s)]:6.2f}" for s in SNRS)
            print(f"  {channel:15s} {method:26s} {cells}", file=sys.stderr)
        if channel == "awgn":
            for s in (0.0, 5.0):
                d = psnr[(gsc, channel, s)] - psnr[(f"{gsc} NGF", channel, s)]
                bars.append((f"{gsc} >= NGF + 0.5 dB at {s:g} dB", d, 0.5, d >= 0.5))
            for s in (10.0, 15.0, 20.0):
                d = psnr[(gsc, channel, s)] - psnr[(f"{gsc} NGF", channel, s)]
                bars.append((f"{gsc} >= NGF - 0.1 dB at {s:g} dB", d, -0.1, d >= -0.1))
        for s, need in ((0.0, 1.5), (5.0, 1.5), (10.0, 1.0), (15.0, 1.0)):
            d = psnr[(gsc, channel, s)] - psnr[(deep, channel, s)]
            bars.append((f"{gsc} >= {deep} + {need} dB at {s:g} dB", d, need, d >= need))
    for text, diff, _, met in bars:
        print(f"{'met    ' if met else 'NOT MET'}  {text}  (difference {diff:+.2f} dB)")
    if args.json:
        print(
            json.dumps(
                {
                    "images": len(data),
                    "psnr": [
                        {"method": m, "channel": c, "snr_db": s, "psnr_db": v}
                        for (m, c, s), v in psnr.items()
                    ],
                    "bars": [{"bar": t, "difference_db": d, "met": m} for t, d, _, m in bars],
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
