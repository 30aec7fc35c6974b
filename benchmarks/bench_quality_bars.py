"""Issue 4's quality bars on the CIFAR-10 validation split, measured in one run.

* ``swinjscc-cifar10-awgn`` >= ``deepjscc-cifar10-awgn`` + 0.5 dB PSNR at 5, 10 and 15 dB
  over AWGN; ``swinjscc-cifar10-rayleigh`` >= ``deepjscc-cifar10-rayleigh`` + 0.5 dB over
  Rayleigh block fading at the same SNRs;
* both learned codecs beat ``digital:jpeg+ldpc+qam`` at every SNR <= 10 dB (0, 5, 10) on
  their channel.

Everything is measured here with ``semcom sweep`` semantics (noise seed 0) on the
validation split the zoo models never trained on (``#val=0.1`` of the shared CIFAR-10
subset, 544 images). It prints a table and, per bar, the margin and whether it is met;
it never asserts. Needs ``../shared/data``.

Run from the repository root::

    .venv/bin/python benchmarks/bench_quality_bars.py [--limit N] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys

from cifar_validation import cifar_split
from semcom.digital import parse_digital_method
from semcom.evaluation import sweep_codecs
from semcom.train import load_checkpoint

SNRS = [0.0, 5.0, 10.0, 15.0]
PAIRS = {  # channel: (Swin-JSCC model, DeepJSCC model)
    "awgn": ("swinjscc-cifar10-awgn", "deepjscc-cifar10-awgn"),
    "rayleigh-block": ("swinjscc-cifar10-rayleigh", "deepjscc-cifar10-rayleigh"),
}
DIGITAL = "digital:jpeg+ldpc+qam"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="first N validation images")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    data = cifar_split("eval", args.limit)
    if data is None:
        return 2
    psnr: dict[tuple[str, str, float], float] = {}
    digital = parse_digital_method(DIGITAL)
    for channel, names in PAIRS.items():
        codecs = {n: load_checkpoint(f"zoo:{n}").build_codec() for n in names}
        rows = sweep_codecs(codecs, data, [channel], SNRS, digital=[digital], progress=False)
        for r in rows:
            label = DIGITAL if r.method.startswith("digital:") else r.method
            psnr[(label, channel, r.snr_db)] = r.psnr_db
    print(f"CIFAR-10 validation split, {len(data)} images, PSNR (dB):", file=sys.stderr)
    bars = []
    for channel, (swin, deep) in PAIRS.items():
        for method in (swin, deep, DIGITAL):
            cells = "  ".join(f"{psnr[(method, channel, s)]:6.2f}" for s in SNRS)
            print(f"  {channel:15s} {method:28s} {cells}", file=sys.stderr)
        for s in (5.0, 10.0, 15.0):
            margin = psnr[(swin, channel, s)] - psnr[(deep, channel, s)]
            bars.append((f"{swin} >= {deep} + 0.5 dB at {s:g} dB", margin, 0.5))
        for s in (0.0, 5.0, 10.0):
            for learned in (swin, deep):
                margin = psnr[(learned, channel, s)] - psnr[(DIGITAL, channel, s)]
                bars.append((f"{learned} > {DIGITAL} on {channel} at {s:g} dB", margin, 0.0))
    for text, diff, need in bars:
        met = diff >= need if need else diff > 0
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
                    "bars": [
                        {"bar": t, "difference_db": d, "met": d >= n if n else d > 0}
                        for t, d, n in bars
                    ],
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
