"""Benchmark of semcom's DeepJSCC semantic link against a plain-PyTorch copy of it.

What it measures (32x32 RGB images, ``create_codec("deepjscc", cbr=1/6)`` over
``create_channel("awgn")`` at 10 dB, through ``SemanticLink.forward``):

1. Link forward throughput (encode + AWGN channel + decode) in images/s at batch 1 and
   batch 256, under ``torch.inference_mode()`` with the model in ``eval()``.
2. Training throughput in images/s at batch 64: forward + MSE loss + backward + Adam step.
3. Peak memory of the training benchmark: on CUDA ``torch.cuda.max_memory_allocated``;
   on CPU the growth of the process peak RSS (``resource.getrusage().ru_maxrss``) over
   the RSS just before the first training step, measured in a fresh child process per
   contender so that the two do not mask each other (tracemalloc does not see torch's
   allocations).
4. The same figures for a plain-PyTorch copy of the DeepJSCC network written below
   (``PlainDeepJSCC``, no semcom imports in it): five 5x5 convs with PReLU, latent
   trimmed to 2k reals, paired into complex, power-normalised, AWGN from torch.randn,
   five transposed convs with PReLU and a sigmoid. It mirrors the two options semcom's
   DeepJSCC has grown (group norm after each hidden conv, ``norm="group"``, now the
   default; the encoder input centred to ``2x - 1``): the script reads ``codec.norm``
   and probes ``codec.analysis`` and builds the copy to match. Before timing it checks
   that the copy has the same parameter count as semcom's codec and, with semcom's
   (randomly perturbed) weights loaded, gives the same output with the noise off and
   with the noise on from the same seed; it stops with an error if they differ by more
   than 1e-5. Each timing line prints the ratio library/plain and whether the target
   (library >= 0.90x plain) is met. ``--norm none`` benchmarks the paper's network
   (no batch norm) instead of the library default.

Timings are noise-aware (the machine may be shared): a warm-up first, then rounds in
which the two contenders are called alternately (A B, B A, ...), every call timed on its
own, for a fixed time budget per line; the throughput reported is the median over calls,
and the ratio is the median over rounds of the per-round library/plain ratio (robust when
a busy machine makes call times bimodal), printed with its quartiles, the ratio of the
two medians and the ratio of the two fastest calls. Nothing here asserts on time; it
only prints figures.

Run (from the repository root)::

    .venv/bin/python benchmarks/bench_link.py            # full run, a few minutes
    .venv/bin/python benchmarks/bench_link.py --quick    # under about a minute
    .venv/bin/python benchmarks/bench_link.py --device cuda --json
    .venv/bin/python benchmarks/bench_link.py --norm none --threads 1

``--device`` is ``cpu``, ``cuda`` or ``auto`` (CUDA when available). ``--json`` prints
one JSON object with every figure on stdout and the human-readable table on stderr.
Threads are set to ``os.cpu_count()`` (``torch.set_num_threads``) for both contenders;
``--threads N`` overrides it (useful on a busy shared machine, see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import copy
import datetime as _dt
import gc
import json
import math
import os
import platform
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

    The defaults (``norm="none"``, ``center_input=False``) are the paper's network. Two
    switches mirror options semcom's DeepJSCC may have: ``norm="batch"`` / ``"group"`` put
    a BatchNorm2d / GroupNorm (4 channels per group) after every hidden (transposed)
    convolution, before its PReLU, and
    ``center_input=True`` feeds the encoder ``2x - 1`` instead of ``x``.
    """

    def __init__(
        self,
        in_channels: int = 3,
        image_size: tuple[int, int] = (32, 32),
        cbr: float = 1 / 6,
        width: int = 32,
        norm: str = "none",
        center_input: bool = False,
    ) -> None:
        super().__init__()
        if norm not in ("none", "batch", "group"):
            raise ValueError(f"norm must be 'none', 'batch' or 'group', got {norm!r}")
        h, w = image_size
        self.k = round(cbr * in_channels * h * w)
        self.latent_hw = (h // 4, w // 4)
        self.c = math.ceil(2 * self.k / (self.latent_hw[0] * self.latent_hw[1]))
        self.center_input = center_input
        self.norm = norm
        half = max(width // 2, 1)

        def block(layer: nn.Module, cout: int, hidden: bool) -> list[nn.Module]:
            bn: list[nn.Module] = []
            if hidden and norm == "batch":
                bn = [nn.BatchNorm2d(cout)]
            elif hidden and norm == "group":  # 4 channels per group, as semcom's
                bn = [nn.GroupNorm(max(cout // 4, 1), cout)]
            return [layer, *bn, nn.PReLU(cout)]

        enc: list[nn.Module] = []
        for i, (cin, cout, stride) in enumerate(
            (
                (in_channels, half, 2),
                (half, width, 2),
                (width, width, 1),
                (width, width, 1),
                (width, self.c, 1),
            )
        ):
            conv = nn.Conv2d(cin, cout, 5, stride=stride, padding=2)
            enc += block(conv, cout, hidden=i < 4)
        self.encoder = nn.Sequential(*enc)
        dec: list[nn.Module] = []
        for cin, cout, stride in (
            (self.c, width, 1),
            (width, width, 1),
            (width, width, 1),
            (width, half, 2),
        ):
            deconv = nn.ConvTranspose2d(
                cin, cout, 5, stride=stride, padding=2, output_padding=stride - 1
            )
            dec += block(deconv, cout, hidden=True)
        dec += [
            nn.ConvTranspose2d(half, in_channels, 5, stride=2, padding=2, output_padding=1),
            nn.Sigmoid(),
        ]
        self.decoder = nn.Sequential(*dec)

    def forward(self, x: torch.Tensor, snr_db: float | None = SNR_DB) -> torch.Tensor:
        """``x: [B, C, H, W]`` -> ``x_hat``; ``snr_db=None`` turns the noise off."""
        b = x.shape[0]
        z = self.encoder(x * 2 - 1 if self.center_input else x)
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


def map_library_state_dict(
    lib_sd: dict[str, torch.Tensor], plain_sd: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """semcom's DeepJSCC state_dict -> one with :class:`PlainDeepJSCC`'s keys.

    semcom nests its layers (``encoder.{block}.{layer}.*``, ...) where the plain copy is
    flat (``encoder.{i}.*``); both register the same tensors in the same order, so the
    mapping pairs them by position within ``encoder.`` and within ``decoder.``, and
    checks that every pair has the same tensor name (weight, bias, running_mean, ...)
    and shape. Raises ``RuntimeError`` on any mismatch.
    """
    out: dict[str, torch.Tensor] = {}
    for part in ("encoder.", "decoder."):
        lib_items = [(k, v) for k, v in lib_sd.items() if k.startswith(part)]
        plain_keys = [k for k in plain_sd if k.startswith(part)]
        if len(lib_items) != len(plain_keys):
            raise RuntimeError(
                f"{part[:-1]}: semcom has {len(lib_items)} tensors, plain copy {len(plain_keys)}"
            )
        for (lib_key, value), plain_key in zip(lib_items, plain_keys, strict=True):
            same_kind = lib_key.rsplit(".", 1)[-1] == plain_key.rsplit(".", 1)[-1]
            if not same_kind or value.shape != plain_sd[plain_key].shape:
                raise RuntimeError(
                    f"cannot map {lib_key} {list(value.shape)} onto "
                    f"{plain_key} {list(plain_sd[plain_key].shape)}"
                )
            out[plain_key] = value
    extra = [k for k in lib_sd if not k.startswith(("encoder.", "decoder."))]
    if extra:
        raise RuntimeError(f"semcom state_dict has tensors outside encoder/decoder: {extra}")
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


def _build_library(device: torch.device, norm: str) -> tuple[nn.Module, Any]:
    """(SemanticLink, its codec): deepjscc cbr 1/6 over AWGN.

    ``norm="default"`` is exactly ``create_codec("deepjscc", cbr=1/6)``; ``"none"`` or
    ``"batch"`` pass ``norm=`` to the codec (semcom versions that have that option).
    """
    import semcom

    kwargs: dict[str, Any] = {} if norm == "default" else {"norm": norm}
    codec = semcom.create_codec("deepjscc", cbr=CBR, **kwargs)
    link = semcom.SemanticLink(codec, semcom.create_channel("awgn")).to(device)
    return link, codec


def _detect_center_input(codec: Any) -> bool:
    """Whether semcom's ``analysis`` feeds its encoder ``x`` (False) or ``2x - 1`` (True)."""
    was_training = codec.training
    codec.eval()
    x = torch.rand(2, *IMAGE_SHAPE, device=next(codec.parameters()).device)
    with torch.inference_mode():
        got = codec.analysis(x, torch.full((2,), SNR_DB, device=x.device))
        plain_in = codec.encoder(x)
        centred = codec.encoder(x * 2 - 1)
    codec.train(was_training)
    if torch.allclose(got, plain_in, atol=EQUIV_TOL):
        return False
    if torch.allclose(got, centred, atol=EQUIV_TOL):
        return True
    raise RuntimeError(
        "semcom's DeepJSCC.analysis(x) is neither encoder(x) nor encoder(2x - 1): "
        "update PlainDeepJSCC to mirror it"
    )


def build_pair(device: torch.device, norm: str) -> tuple[nn.Module, Any, PlainDeepJSCC]:
    """semcom's link and codec, and a plain copy built to the same architecture."""
    link, codec = _build_library(device, norm)
    plain = PlainDeepJSCC(
        IMAGE_SHAPE[0],
        IMAGE_SHAPE[1:],
        CBR,
        width=getattr(codec, "width", WIDTH),
        norm=getattr(codec, "norm", "none"),
        center_input=_detect_center_input(codec),
    ).to(device)
    return link, codec, plain


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
def _time_call(fn: Callable[[], object], device: torch.device) -> float:
    _sync(device)
    t0 = time.perf_counter()
    fn()
    _sync(device)
    return time.perf_counter() - t0


def compare(
    fns: dict[str, Callable[[], object]],
    batch: int,
    device: torch.device,
    budget_s: float,
    warmup_s: float,
    min_rounds: int = 5,
) -> dict[str, Any]:
    """Time ``fns`` (``library`` and ``plain``) interleaved; images/s medians and the ratio.

    After a warm-up (alternating, ``warmup_s`` in all), rounds are run until ``budget_s``
    is spent (at least ``min_rounds``): each round times one call of each contender, in
    alternating order (A B, B A, ...), each call timed on its own. Per-call timing with
    medians ignores the stalls a busy shared machine adds to some calls (with 2 threads
    on 2 busy cores a single call can stall for 100+ ms), and the alternation makes a
    burst of load hit both contenders alike.
    """
    names = list(fns)
    t_start = time.perf_counter()
    t_end = t_start + warmup_s
    n = 0
    while n < 2 or time.perf_counter() < t_end:
        _time_call(fns[names[n % 2]], device)
        n += 1
    samples: dict[str, list[float]] = {n: [] for n in names}
    ratios: list[float] = []
    gc.collect()
    t_end = time.perf_counter() + budget_s
    while len(ratios) < min_rounds or time.perf_counter() < t_end:
        order = names if len(ratios) % 2 == 0 else names[::-1]
        this: dict[str, float] = {}
        for name in order:
            this[name] = batch / _time_call(fns[name], device)
            samples[name].append(this[name])
        ratios.append(this["library"] / this["plain"])
    med = {n: statistics.median(s) for n, s in samples.items()}
    # The verdict uses the median of the paired (same-round) ratios: on a shared machine
    # the per-call times are often bimodal (calls that stalled and calls that did not),
    # and the ratio of the two medians can then land on different modes.
    ratio = statistics.median(ratios)
    return {
        "batch": batch,
        "rounds": len(ratios),
        **{
            n: {
                "median_img_s": med[n],
                "best_img_s": max(s),
                "worst_img_s": min(s),
            }
            for n, s in samples.items()
        },
        "ratio_library_over_plain": ratio,
        "ratio_of_medians": med["library"] / med["plain"],
        "paired_ratio_q1": _quantile(ratios, 0.25),
        "paired_ratio_q3": _quantile(ratios, 0.75),
        "ratio_of_best": max(samples["library"]) / max(samples["plain"]),
        "target_met": ratio >= TARGET_RATIO,
        "wall_s": time.perf_counter() - t_start,
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
def _training_closure(contender: str, device: torch.device, norm: str) -> Callable[[], object]:
    x = torch.rand(TRAIN_BATCH, *IMAGE_SHAPE, device=device)
    link, _, plain = build_pair(device, norm)
    if contender == "library":
        link.train()
        return _make_train_step(lambda v: link(v, snr_db=SNR_DB)["x_hat"], link.parameters(), x)
    plain.train()
    return _make_train_step(lambda v: plain(v, SNR_DB), plain.parameters(), x)


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (Linux >= 4.0: ``echo 5 > /proc/self/clear_refs``).

    After this, ``ru_maxrss`` (and VmHWM) restart from the current RSS. Returns False
    where it is not possible.
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def memory_child(contender: str, steps: int, norm: str) -> dict[str, Any]:
    """In a fresh CPU process: peak RSS growth over ``steps`` training steps."""
    step = _training_closure(contender, torch.device("cpu"), norm)
    gc.collect()
    reset = _reset_peak_rss()
    before_now = _rss_now_bytes()
    before_peak = _maxrss_bytes()
    for _ in range(steps):
        step()
    peak = _maxrss_bytes()
    base = before_now if before_now is not None else before_peak
    if reset:
        baseline = "peak mark reset via /proc/self/clear_refs; baseline = current RSS"
    elif peak <= before_peak:
        baseline = "no reset possible and the peak predates the steps: growth is an upper bound"
    else:
        baseline = "no reset possible; baseline = RSS before the steps"
    return {
        "contender": contender,
        "baseline_rss_mib": base / 2**20,
        "peak_rss_mib": peak / 2**20,
        "growth_mib": max(0, peak - base) / 2**20,
        "peak_reset": reset,
        "baseline": baseline,
    }


def measure_memory(device: torch.device, steps: int, script: str, norm: str) -> dict[str, Any]:
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
            step = _training_closure(contender, device, norm)
            for _ in range(steps):
                step()
            _sync(device)
            out[contender] = {"peak_mib": torch.cuda.max_memory_allocated(device) / 2**20}
            del step
        return out
    out["method"] = (
        "CPU: peak RSS growth = resource.getrusage ru_maxrss after the steps minus the RSS "
        "just before the first step, the kernel's peak mark reset there "
        "(/proc/self/clear_refs); fresh child process per contender"
    )
    for contender in ("library", "plain"):
        proc = subprocess.run(
            [
                sys.executable,
                script,
                "--_memory-child",
                contender,
                "--_steps",
                str(steps),
                "--threads",
                str(torch.get_num_threads()),
                "--norm",
                norm,
            ],
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
def _perturb_(model: nn.Module, seed: int = 0) -> None:
    """Give every weight and BatchNorm statistic distinct random values, in place.

    Default initialisations repeat values (PReLU slopes all 0.25, BatchNorm mean 0 and
    variance 1), which would let a wrongly mapped tensor pass the equivalence check.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if not t.is_floating_point():
                continue
            r = torch.rand(t.shape, generator=gen).to(t.device)
            if name.endswith("running_var"):
                t.copy_(0.5 + r)
            elif name.endswith(("running_mean", "bias")) or t.ndim == 1:
                t.add_((r - 0.5) * 0.2)
            else:
                t.mul_(0.8 + 0.4 * r)


def check_equivalence(link: nn.Module, codec: Any, plain: PlainDeepJSCC) -> dict[str, Any]:
    """Same parameter count, same output with the same weights; raise if not.

    Works on copies with perturbed weights; afterwards ``plain`` holds ``codec``'s
    (unperturbed) weights, so both contenders start training from the same point.
    """
    n_lib, n_plain = _count_params(codec), _count_params(plain)
    if n_lib != n_plain:
        raise RuntimeError(f"parameter counts differ: semcom {n_lib} vs plain {n_plain}")
    lib_link = copy.deepcopy(link)
    lib_codec = lib_link.codec
    _perturb_(lib_codec)
    plain_sd = plain.state_dict()
    plain.load_state_dict(map_library_state_dict(lib_codec.state_dict(), plain_sd), strict=True)
    lib_link.eval()
    plain.eval()
    device = next(plain.parameters()).device
    x = torch.rand(8, *IMAGE_SHAPE, device=device)
    with torch.inference_mode():
        lib_clean = lib_codec.decode(lib_codec.encode(x, SNR_DB), SNR_DB)
        plain_clean = plain(x, None)
        diff_clean = (lib_clean - plain_clean).abs().max().item()
        # With noise: same global seed -> the same torch.randn draw in both.
        torch.manual_seed(1234)
        lib_noisy = lib_link(x, snr_db=SNR_DB)["x_hat"]
        torch.manual_seed(1234)
        plain_noisy = plain(x, SNR_DB)
        diff_noisy = (lib_noisy - plain_noisy).abs().max().item()
        # Sanity: the noise is actually there (10 dB changes the output).
        noise_effect = (lib_noisy - lib_clean).abs().max().item()
    plain.load_state_dict(map_library_state_dict(codec.state_dict(), plain_sd), strict=True)
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
        f"{res['paired_ratio_q1']:>7.2f}-{res['paired_ratio_q3']:<5.2f}"
        f"{res['ratio_of_medians']:>8.3f}{res['ratio_of_best']:>7.3f}"
        f"{res['rounds']:>7}  target >= {TARGET_RATIO:.2f}: {met}"
    )


# quick / full settings: seconds of timed rounds per line, seconds of warm-up per line,
# training steps in the memory measurement.
SETTINGS = {
    "quick": {"budget_s": 4.0, "warmup_s": 0.5, "min_rounds": 3, "mem_steps": 2},
    "full": {"budget_s": 50.0, "warmup_s": 4.0, "min_rounds": 7, "mem_steps": 8},
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
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch.set_num_threads for both contenders (default: os.cpu_count())",
    )
    parser.add_argument(
        "--norm",
        choices=("default", "none", "batch", "group"),
        default="default",
        help="semcom DeepJSCC norm option: 'default' = create_codec('deepjscc', cbr=1/6) "
        "as is; 'none' = the paper's network; the plain copy is built to match",
    )
    parser.add_argument("--_memory-child", dest="memory_child", help=argparse.SUPPRESS)
    parser.add_argument("--_steps", dest="steps", type=int, default=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    threads = args.threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    if args.memory_child:
        print(json.dumps(memory_child(args.memory_child, args.steps, args.norm)))
        return 0

    out = sys.stderr if args.json else sys.stdout
    torch.manual_seed(0)
    device = _resolve_device(args.device)
    cfg = SETTINGS["quick" if args.quick else "full"]
    timing = {k: cfg[k] for k in ("budget_s", "warmup_s", "min_rounds")}
    started = time.perf_counter()

    env = {
        "date": _dt.date.today().isoformat(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "loadavg_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "device": str(device),
        "cuda_device": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "mode": "quick" if args.quick else "full",
        **cfg,
    }
    _log(
        f"semcom link benchmark: torch {env['torch']}, device {device}, {threads} threads, "
        f"{env['mode']} (~{cfg['budget_s']:g} s of interleaved, individually timed calls "
        f"per line), deepjscc cbr 1/6, 3x32x32, AWGN {SNR_DB:g} dB",
        out,
    )

    link, codec, plain = build_pair(device, args.norm)
    network = {
        "norm_arg": args.norm,
        "codec_config": codec.config(),
        "plain_norm": plain.norm,
        "plain_center_input": plain.center_input,
    }
    _log(
        f"network: semcom codec config {network['codec_config']}; plain copy built with "
        f"norm={plain.norm!r}, center_input={plain.center_input}",
        out,
    )
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
        f"{'IQR':>10}{'':>3}{'med/med':>8}{'best':>7}{'rounds':>7}",
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
        "ratio = median over rounds of semcom/plain (one call each per round, adjacent in "
        "time), IQR = its quartiles;\nmed/med = semcom median / plain median; best = ratio "
        "of the two fastest calls",
        out,
    )

    memory = measure_memory(device, cfg["mem_steps"], os.path.abspath(__file__), args.norm)
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
    load_end = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    env["loadavg_at_end"] = load_end
    _log(
        f"\ntotal {elapsed:.1f} s; load average (1/5/15 min) at start "
        f"{env['loadavg_at_start']}, at end {load_end}",
        out,
    )

    if args.json:
        print(
            json.dumps(
                {
                    "env": env,
                    "network": network,
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
