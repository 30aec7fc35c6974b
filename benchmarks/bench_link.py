"""Benchmark of semcom's DeepJSCC semantic link against a plain-PyTorch copy of it.

What it measures (32x32 RGB images, ``create_codec("deepjscc", cbr=1/6)``, AWGN at 10 dB):

1. Link forward throughput (encode + AWGN channel + decode) in images/s at batch 1 and
   batch 256, under ``torch.inference_mode()`` with the model in ``eval()``.
2. Training throughput in images/s at batch 64: forward + MSE loss + backward + Adam step.
3. Peak memory of the training benchmark: on CUDA ``torch.cuda.max_memory_allocated``;
   on CPU the growth of the process peak RSS (``resource.getrusage().ru_maxrss``) over
   the RSS just before the first training step, measured in a fresh child process per
   contender so that the two do not mask each other (tracemalloc does not see torch's
   allocations).
4. The same figures for a plain-PyTorch copy of the DeepJSCC network written below
   (no semcom imports in it). Before timing, the script checks that the copy has the
   same parameter count as semcom's codec and, with semcom's weights loaded, gives the
   same output with the noise off (and with the noise on, from the same random seed);
   it stops with an error if they differ by more than 1e-5. Each timing line prints the
   ratio library/plain and whether the target (library >= 0.90x plain) is met.

Timings are noise-aware: warm-up first, the two contenders are timed in alternating
order in several rounds (each round times one block of iterations per contender), the
figure reported is the median over rounds, and the ratio is the median of the per-round
ratios. Nothing here asserts on time; it only prints figures.

Run (from the repository root)::

    .venv/bin/python benchmarks/bench_link.py            # full run, a few minutes
    .venv/bin/python benchmarks/bench_link.py --quick    # under about a minute
    .venv/bin/python benchmarks/bench_link.py --device cuda --json

``--device`` is ``cpu``, ``cuda`` or ``auto`` (CUDA when available). ``--json`` prints
one JSON object with every figure on stdout and the human-readable table on stderr.
Threads are set to ``os.cpu_count()`` (``torch.set_num_threads``) for both contenders.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

IMAGE_SHAPE = (3, 32, 32)
CBR = 1 / 6
WIDTH = 32
SNR_DB = 10.0
TRAIN_BATCH = 64
FORWARD_BATCHES = (1, 256)
TARGET_RATIO = 0.90
EQUIV_TOL = 1e-5


# --------------------------------------------------------------------------------------
# The plain-PyTorch copy of DeepJSCC (no semcom imports).
# --------------------------------------------------------------------------------------
class PlainDeepJSCC(nn.Module):
    """DeepJSCC written directly in PyTorch: conv/PReLU encoder, power norm, AWGN, decoder.

    Encoder: five 5x5 convs with PReLU, ``half, width, width, width, c`` channels,
    strides 2, 2, 1, 1, 1. The latent ``[B, c, H/4, W/4]`` is flattened, trimmed to ``2k``
    reals, paired into ``k`` complex symbols and normalised to unit power per example;
    AWGN of variance ``10 ** (-snr/10)`` is added; the decoder (five ConvTranspose2d with
    PReLU, sigmoid at the end) maps it back to an image.
    """

    def __init__(
        self,
        in_channels: int = 3,
        image_size: tuple[int, int] = (32, 32),
        cbr: float = 1 / 6,
        width: int = 32,
    ) -> None:
        super().__init__()
        h, w = image_size
        self.k = round(cbr * in_channels * h * w)
        self.latent_hw = (h // 4, w // 4)
        self.c = math.ceil(2 * self.k / (self.latent_hw[0] * self.latent_hw[1]))
        half = max(width // 2, 1)
        enc: list[nn.Module] = []
        for cin, cout, stride in (
            (in_channels, half, 2),
            (half, width, 2),
            (width, width, 1),
            (width, width, 1),
            (width, self.c, 1),
        ):
            enc += [nn.Conv2d(cin, cout, 5, stride=stride, padding=2), nn.PReLU(cout)]
        self.encoder = nn.Sequential(*enc)
        dec: list[nn.Module] = []
        for cin, cout, stride in (
            (self.c, width, 1),
            (width, width, 1),
            (width, width, 1),
            (width, half, 2),
        ):
            dec += [
                nn.ConvTranspose2d(
                    cin, cout, 5, stride=stride, padding=2, output_padding=stride - 1
                ),
                nn.PReLU(cout),
            ]
        dec += [
            nn.ConvTranspose2d(half, in_channels, 5, stride=2, padding=2, output_padding=1),
            nn.Sigmoid(),
        ]
        self.decoder = nn.Sequential(*dec)

    def forward(self, x: torch.Tensor, snr_db: float | None = SNR_DB) -> torch.Tensor:
        """``x: [B, C, H, W]`` -> ``x_hat``; ``snr_db=None`` turns the noise off."""
        b = x.shape[0]
        z = self.encoder(x)
        reals = z.flatten(1)[:, : 2 * self.k]
        sym = torch.view_as_complex(reals.reshape(b, self.k, 2).contiguous())
        power = sym.real.pow(2).add(sym.imag.pow(2)).mean(dim=1, keepdim=True)
        sym = sym / torch.sqrt(power + 1e-12)
        if snr_db is not None:
            sigma = math.sqrt(10.0 ** (-snr_db / 10.0))
            noise = torch.randn((b, self.k, 2), device=x.device) * (0.5**0.5)
            sym = sym + torch.view_as_complex(noise) * sigma
        reals = torch.view_as_real(sym).reshape(b, 2 * self.k)
        missing = self.c * self.latent_hw[0] * self.latent_hw[1] - reals.shape[1]
        if missing:
            reals = F.pad(reals, (0, missing))
        out: torch.Tensor = self.decoder(reals.reshape(b, self.c, *self.latent_hw))
        return out


def map_library_state_dict(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """semcom's DeepJSCC keys -> :class:`PlainDeepJSCC` keys.

    semcom nests each encoder layer as ``Sequential(conv, prelu)`` (``encoder.{i}.{j}.*``);
    the plain copy is flat (``encoder.{2i+j}.*``). Decoder keys are the same.
    """
    out: dict[str, torch.Tensor] = {}
    for key, value in sd.items():
        m = re.fullmatch(r"encoder\.(\d+)\.(\d+)\.(.+)", key)
        out[f"encoder.{2 * int(m[1]) + int(m[2])}.{m[3]}" if m else key] = value
    return out


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------
def _log(msg: str, stream: Any) -> None:
    print(msg, file=stream, flush=True)


def _resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda requested but torch.cuda.is_available() is False")
    return torch.device(name)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _build_library(device: torch.device) -> tuple[nn.Module, nn.Module]:
    """(SemanticLink, its codec) for deepjscc cbr 1/6 over AWGN."""
    import semcom

    codec = semcom.create_codec("deepjscc", cbr=CBR, width=WIDTH)
    link = semcom.SemanticLink(codec, semcom.create_channel("awgn")).to(device)
    return link, codec


def _rss_now_bytes() -> int | None:
    """Current resident set size from /proc (Linux), else None."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _maxrss_bytes() -> int:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------
def _time_block(fn: Callable[[], object], iters: int, device: torch.device) -> float:
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(iters):
        fn()
    _sync(device)
    return time.perf_counter() - t0


def compare(
    fns: dict[str, Callable[[], object]],
    batch: int,
    device: torch.device,
    budget_s: float,
    block_s: float,
    warmup_s: float,
    min_rounds: int = 5,
) -> dict[str, Any]:
    """Time ``fns`` (``library`` and ``plain``) interleaved; images/s medians and the ratio.

    After a warm-up, rounds are run until ``budget_s`` is spent (at least ``min_rounds``):
    each round times one block of the same number of iterations (about ``block_s``) for
    each contender, in alternating order. Short blocks keep the two contenders' samples
    close in time, so a burst of load from another process hits both alike.
    """
    names = list(fns)
    per_iter = dict.fromkeys(names, 0.0)
    for name in names * 2:  # warm-up, alternating; the second pass calibrates
        iters, spent = 0, 0.0
        while spent < warmup_s / 4 or iters < 2:
            spent += _time_block(fns[name], 1, device)
            iters += 1
        per_iter[name] = spent / iters
    iters = max(1, round(block_s / min(per_iter.values())))
    samples: dict[str, list[float]] = {n: [] for n in names}
    ratios: list[float] = []
    gc.collect()
    t_end = time.perf_counter() + budget_s
    while len(ratios) < min_rounds or time.perf_counter() < t_end:
        order = names if len(ratios) % 2 == 0 else names[::-1]
        this: dict[str, float] = {}
        for name in order:
            this[name] = batch * iters / _time_block(fns[name], iters, device)
            samples[name].append(this[name])
        ratios.append(this["library"] / this["plain"])
    lib_best, plain_best = max(samples["library"]), max(samples["plain"])
    ratio = statistics.median(ratios)
    return {
        "batch": batch,
        "iters_per_block": iters,
        "rounds": len(ratios),
        **{
            n: {
                "median_img_s": statistics.median(s),
                "best_img_s": max(s),
                "worst_img_s": min(s),
            }
            for n, s in samples.items()
        },
        "ratio_library_over_plain": ratio,
        "ratio_q1": _quantile(ratios, 0.25),
        "ratio_q3": _quantile(ratios, 0.75),
        "ratio_of_best": lib_best / plain_best,
        "target_met": ratio >= TARGET_RATIO,
    }


def _quantile(values: list[float], q: float) -> float:
    s = sorted(values)
    pos = q * (len(s) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def _make_train_step(
    run_model: Callable[[torch.Tensor], torch.Tensor],
    params: Any,
    x: torch.Tensor,
) -> Callable[[], object]:
    opt = torch.optim.Adam(params, lr=1e-4)

    def step() -> None:
        x_hat = run_model(x)
        loss = F.mse_loss(x_hat, x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


# --------------------------------------------------------------------------------------
# Memory
# --------------------------------------------------------------------------------------
def _training_closure(contender: str, device: torch.device) -> Callable[[], object]:
    x = torch.rand(TRAIN_BATCH, *IMAGE_SHAPE, device=device)
    if contender == "library":
        link, _ = _build_library(device)
        link.train()
        return _make_train_step(lambda v: link(v, snr_db=SNR_DB)["x_hat"], link.parameters(), x)
    plain = PlainDeepJSCC(IMAGE_SHAPE[0], IMAGE_SHAPE[1:], CBR, WIDTH).to(device)
    plain.train()
    return _make_train_step(lambda v: plain(v, SNR_DB), plain.parameters(), x)


def memory_child(contender: str, steps: int) -> dict[str, Any]:
    """In a fresh CPU process: peak RSS growth over ``steps`` training steps."""
    torch.set_num_threads(os.cpu_count() or 1)
    step = _training_closure(contender, torch.device("cpu"))
    gc.collect()
    before_now = _rss_now_bytes()
    before_peak = _maxrss_bytes()
    for _ in range(steps):
        step()
    peak = _maxrss_bytes()
    base = before_now if before_now is not None else before_peak
    return {
        "contender": contender,
        "baseline_rss_mib": base / 2**20,
        "peak_rss_mib": peak / 2**20,
        "growth_mib": max(0, peak - base) / 2**20,
        "baseline": "current RSS (/proc/self/statm)" if before_now else "ru_maxrss",
    }


def measure_memory(device: torch.device, steps: int, script: str) -> dict[str, Any]:
    """Peak memory of the training benchmark for each contender."""
    out: dict[str, Any] = {}
    if device.type == "cuda":
        out["method"] = (
            "torch.cuda.max_memory_allocated during the training steps "
            "(includes weights, grads, Adam state, activations)"
        )
        for contender in ("library", "plain"):
            gc.collect()
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(device)
            step = _training_closure(contender, device)
            for _ in range(steps):
                step()
            _sync(device)
            out[contender] = {"peak_mib": torch.cuda.max_memory_allocated(device) / 2**20}
            del step
        return out
    out["method"] = (
        "CPU: peak RSS growth (resource.getrusage ru_maxrss minus the RSS just before "
        "the first step), fresh child process per contender"
    )
    for contender in ("library", "plain"):
        proc = subprocess.run(
            [sys.executable, script, "--_memory-child", contender, "--_steps", str(steps)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"memory child for {contender} failed:\n{proc.stderr}")
        out[contender] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


# --------------------------------------------------------------------------------------
# Equivalence
# --------------------------------------------------------------------------------------
def check_equivalence(link: nn.Module, codec: Any, plain: PlainDeepJSCC) -> dict[str, Any]:
    """Same parameter count, same output with the same weights; raise if not."""
    n_lib, n_plain = _count_params(codec), _count_params(plain)
    if n_lib != n_plain:
        raise RuntimeError(f"parameter counts differ: semcom {n_lib} vs plain {n_plain}")
    plain.load_state_dict(map_library_state_dict(codec.state_dict()), strict=True)
    link.eval()
    plain.eval()
    device = next(plain.parameters()).device
    x = torch.rand(8, *IMAGE_SHAPE, device=device, generator=None)
    with torch.inference_mode():
        lib_clean = codec.decode(codec.encode(x, SNR_DB), SNR_DB)
        plain_clean = plain(x, None)
        diff_clean = (lib_clean - plain_clean).abs().max().item()
        # With noise: same global seed -> the same torch.randn draw in both.
        torch.manual_seed(1234)
        lib_noisy = link(x, snr_db=SNR_DB)["x_hat"]
        torch.manual_seed(1234)
        plain_noisy = plain(x, SNR_DB)
        diff_noisy = (lib_noisy - plain_noisy).abs().max().item()
        # Sanity: the noise is actually there (10 dB changes the output).
        noise_effect = (lib_noisy - lib_clean).abs().max().item()
    result = {
        "params_library": n_lib,
        "params_plain": n_plain,
        "max_abs_diff_noise_off": diff_clean,
        "max_abs_diff_noise_on_same_seed": diff_noisy,
        "noise_effect_max_abs": noise_effect,
        "tolerance": EQUIV_TOL,
    }
    if not diff_clean <= EQUIV_TOL:
        raise RuntimeError(f"plain copy differs from semcom (noise off): {diff_clean:.3g}")
    if not diff_noisy <= EQUIV_TOL:
        raise RuntimeError(f"plain copy differs from semcom (noise on): {diff_noisy:.3g}")
    return result


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------
def _fmt_line(label: str, res: dict[str, Any]) -> str:
    lib, pl = res["library"]["median_img_s"], res["plain"]["median_img_s"]
    ratio = res["ratio_library_over_plain"]
    met = "met" if res["target_met"] else "NOT met"
    return (
        f"{label:<22}{lib:>11.1f}{pl:>11.1f}{ratio:>8.3f}"
        f"{res['ratio_q1']:>7.2f}-{res['ratio_q3']:<5.2f}{res['ratio_of_best']:>8.3f}"
        f"{res['rounds']:>7}  target >= {TARGET_RATIO:.2f}: {met}"
    )


# quick / full settings: seconds of timed rounds per comparison, block length, warm-up,
# training steps in the memory measurement.
SETTINGS = {
    "quick": {"budget_s": 6.0, "block_s": 0.05, "warmup_s": 1.0, "mem_steps": 4},
    "full": {"budget_s": 50.0, "block_s": 0.1, "warmup_s": 4.0, "mem_steps": 8},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Throughput and memory of semcom's DeepJSCC link vs a plain PyTorch copy."
    )
    parser.add_argument("--quick", action="store_true", help="shorter run (under a minute)")
    parser.add_argument("--device", choices=("cpu", "cuda", "auto"), default="auto")
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object on stdout (table on stderr)"
    )
    parser.add_argument("--_memory-child", dest="memory_child", help=argparse.SUPPRESS)
    parser.add_argument("--_steps", dest="steps", type=int, default=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.memory_child:
        print(json.dumps(memory_child(args.memory_child, args.steps)))
        return 0

    out = sys.stderr if args.json else sys.stdout
    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    device = _resolve_device(args.device)
    cfg = SETTINGS["quick" if args.quick else "full"]
    timing = {k: cfg[k] for k in ("budget_s", "block_s", "warmup_s")}
    started = time.perf_counter()

    env = {
        "date": _dt.date.today().isoformat(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": str(device),
        "cuda_device": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "mode": "quick" if args.quick else "full",
        **cfg,
    }
    _log(
        f"semcom link benchmark: torch {env['torch']}, device {device}, {threads} threads, "
        f"{env['mode']} (~{cfg['budget_s']:g} s of interleaved ~{cfg['block_s']:g} s blocks "
        f"per line), deepjscc cbr 1/6, 3x32x32, AWGN {SNR_DB:g} dB",
        out,
    )

    link, codec = _build_library(device)
    plain = PlainDeepJSCC(IMAGE_SHAPE[0], IMAGE_SHAPE[1:], CBR, WIDTH).to(device)
    equiv = check_equivalence(link, codec, plain)
    _log(
        f"equivalence: params semcom {equiv['params_library']} == plain "
        f"{equiv['params_plain']}; max |diff| noise off {equiv['max_abs_diff_noise_off']:.2e}, "
        f"noise on (same seed) {equiv['max_abs_diff_noise_on_same_seed']:.2e} "
        f"(tolerance {EQUIV_TOL:g}) OK",
        out,
    )

    results: dict[str, Any] = {}
    _log(
        f"\n{'images/s (median)':<22}{'semcom':>11}{'plain':>11}{'ratio':>8}"
        f"{'IQR':>10}{'':>3}{'best':>8}{'rounds':>7}",
        out,
    )

    link.eval()
    plain.eval()
    for batch in FORWARD_BATCHES:
        x = torch.rand(batch, *IMAGE_SHAPE, device=device)

        def lib_fwd(x: torch.Tensor = x) -> object:
            with torch.inference_mode():
                return link(x, snr_db=SNR_DB)["x_hat"]

        def plain_fwd(x: torch.Tensor = x) -> object:
            with torch.inference_mode():
                return plain(x, SNR_DB)

        key = f"forward_b{batch}"
        results[key] = compare({"library": lib_fwd, "plain": plain_fwd}, batch, device, **timing)
        _log(_fmt_line(f"forward, batch {batch}", results[key]), out)

    link.train()
    plain.train()
    x = torch.rand(TRAIN_BATCH, *IMAGE_SHAPE, device=device)
    lib_step = _make_train_step(lambda v: link(v, snr_db=SNR_DB)["x_hat"], link.parameters(), x)
    plain_step = _make_train_step(lambda v: plain(v, SNR_DB), plain.parameters(), x)
    key = f"train_b{TRAIN_BATCH}"
    results[key] = compare(
        {"library": lib_step, "plain": plain_step}, TRAIN_BATCH, device, **timing
    )
    _log(_fmt_line(f"train step, batch {TRAIN_BATCH}", results[key]), out)
    _log(
        "ratio = median over rounds of library/plain (IQR = its quartiles); best = ratio of "
        "the two best rounds",
        out,
    )

    memory = measure_memory(device, cfg["mem_steps"], os.path.abspath(__file__))
    _log(
        f"\npeak memory, training batch {TRAIN_BATCH} ({cfg['mem_steps']} steps). "
        f"Method: {memory['method']}",
        out,
    )
    for contender in ("library", "plain"):
        m = memory[contender]
        if device.type == "cuda":
            _log(f"  {contender:<8} peak allocated {m['peak_mib']:.1f} MiB", out)
        else:
            _log(
                f"  {contender:<8} RSS growth {m['growth_mib']:.1f} MiB "
                f"(baseline {m['baseline_rss_mib']:.1f} MiB, peak {m['peak_rss_mib']:.1f} MiB)",
                out,
            )
    elapsed = time.perf_counter() - started
    _log(f"\ntotal {elapsed:.1f} s", out)

    if args.json:
        print(
            json.dumps(
                {
                    "env": env,
                    "equivalence": equiv,
                    "throughput": results,
                    "memory": memory,
                    "target_ratio": TARGET_RATIO,
                    "elapsed_s": elapsed,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
