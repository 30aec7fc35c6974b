"""The ``fl.toml`` schema: one frozen dataclass per table, unknown keys are errors.

A federated run is described by one TOML file with these tables (every key optional)::

    [fl]          strategy, rounds, clients, fraction_train, fraction_evaluate,
                  min_answer_fraction, timeout_s, seed
    [model]       codec, codec_options, cbr, channel, channel_options, classifier
    [data]        spec, eval_spec, eval_images, eval_snr_db, partition, dirichlet, min_size,
                  train_images
    [train]       local_epochs, batch_size, lr, task_weight
    [wireless]    snr_model, snr_db, correlation, bandwidth_hz, power_w
    [simulation]  client_cpus, client_gpus, ray_cpus
    [faults]      raise_fraction, nan_fraction
    [privacy]     dp, noise_multiplier, clipping_norm, target_quantile, clip_norm_lr,
                  secagg, secagg_shares, secagg_threshold, secagg_clipping_range,
                  secagg_quantization_range
    [psfl]        mentors, mentor_shares, personalised, agp, max_prune_ratio,
                  mentor_options, agp_start_round, regrow, distillation_weight,
                  semantic_weight, symbol_map, student_distillation_weight
    [stc]         fraction
    [fttq]        threshold
    [fedpaq]      levels
                  (each of the last four only with its own fl.strategy)

See ``docs/federated.md`` for every key, its unit and its default, and an example per
strategy.

Example:
    >>> cfg = fl_config_from_dict({"fl": {"rounds": 2, "clients": 3}})
    >>> cfg.fl.rounds, cfg.data.partition, cfg.wireless.snr_db
    (2, 'dirichlet', (0.0, 25.0))
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from semcom.config import config_from_dict, read_toml
from semcom.errors import SemcomError
from semcom.parsing import parse_cbr, parse_snr_range

SNR_MODELS = ("uniform", "gauss-markov")
PARTITIONS = ("dirichlet", "iid")


def _fraction(name: str, value: float, allow_zero: bool = False) -> None:
    low_ok = value >= 0 if allow_zero else value > 0
    if not (low_ok and value <= 1 and math.isfinite(value)):
        interval = "[0, 1]" if allow_zero else "(0, 1]"
        raise SemcomError(f"{name} must be in {interval}, got {value}")


@dataclass(frozen=True)
class ServerSettings:
    """``[fl]``: what the server does.

    Attributes:
        strategy: registered strategy (``semcom fl strategies``; ``fedavg``).
        rounds: communication rounds ``T >= 1``.
        clients: simulated clients (SuperNodes) ``K >= 1``; in deployment, the
            ``num-partitions`` every SuperNode is started with.
        fraction_train: fraction of the connected clients sampled per round, (0, 1].
        fraction_evaluate: fraction sampled for the clients' local evaluation, [0, 1].
        min_answer_fraction: least fraction of the sampled clients whose valid update a
            round needs; below it the run stops with an error (after saving), (0, 1].
        timeout_s: seconds the server waits for the clients' replies of one round.
        seed: seed of the partition, the model's initialisation, SNR draws and faults.
    """

    strategy: str = "fedavg"
    rounds: int = 5
    clients: int = 9
    fraction_train: float = 1.0
    fraction_evaluate: float = 1.0
    min_answer_fraction: float = 0.5
    timeout_s: float = 600.0
    seed: int = 0

    def __post_init__(self) -> None:
        from semcom.federated.strategy_registry import STRATEGIES

        if self.strategy not in STRATEGIES:
            raise SemcomError(
                f"unknown strategy {self.strategy!r}; choose one of: {', '.join(STRATEGIES)}"
            )
        if self.rounds < 1:
            raise SemcomError(f"rounds must be at least 1, got {self.rounds}")
        if self.clients < 1:
            raise SemcomError(f"clients must be at least 1, got {self.clients}")
        _fraction("fraction_train", self.fraction_train)
        _fraction("fraction_evaluate", self.fraction_evaluate, allow_zero=True)
        _fraction("min_answer_fraction", self.min_answer_fraction)
        if not self.timeout_s > 0:
            raise SemcomError(f"timeout_s must be positive, got {self.timeout_s}")


@dataclass(frozen=True)
class ModelSettings:
    """``[model]``: the codec every client trains and the channel it trains over.

    Attributes:
        codec: registered codec (``semcom models``), e.g. ``deepjscc`` or ``vitjscc``.
        codec_options: codec keyword arguments, e.g. ``{size = "gsc-m"}``, ``{width = 16}``.
        cbr: channel bandwidth ratio k / (C*H*W); ``"1/6"`` or a float.
        channel: registered channel the clients train over (``awgn``, ...).
        channel_options: channel keyword arguments.
        classifier: classifier (``zoo:classifier-fashion-mnist`` or a path) for the global
            and local accuracy on reconstructions; ``""`` reports no accuracy.
    """

    codec: str = "deepjscc"
    codec_options: dict[str, Any] = field(default_factory=lambda: {"width": 16})
    cbr: float | str = "1/6"
    channel: str = "awgn"
    channel_options: dict[str, Any] = field(default_factory=dict)
    classifier: str = ""

    def __post_init__(self) -> None:
        from semcom.registry import CHANNELS, CODECS

        if self.codec not in CODECS:
            raise SemcomError(f"unknown codec {self.codec!r}; choose one of: {', '.join(CODECS)}")
        if self.channel not in CHANNELS:
            raise SemcomError(
                f"unknown channel {self.channel!r}; choose one of: {', '.join(CHANNELS)}"
            )
        object.__setattr__(self, "cbr", parse_cbr(self.cbr))


@dataclass(frozen=True)
class DataSettings:
    """``[data]``: the images and how they are split among the clients.

    Attributes:
        spec: data spec of the training images (``semcom.data``), split among clients;
            e.g. ``npz:../shared/data/fashion_mnist_subset.npz#train``.
        eval_spec: data spec of the server's test images (default: ``spec``, role eval).
        eval_images: test images used per round for the global metrics.
        eval_snr_db: SNR (dB) of the channel in the global and local evaluation.
        partition: ``dirichlet`` (label skew) or ``iid``.
        dirichlet: Dirichlet concentration r (0.9 default; the paper also uses 0.3, 0.6).
        min_size: least training images per client.
        train_images: use only the first N training images (0: all of them).
    """

    spec: str = "patches"
    eval_spec: str = ""
    eval_images: int = 256
    eval_snr_db: float = 10.0
    partition: str = "dirichlet"
    dirichlet: float = 0.9
    min_size: int = 8
    train_images: int = 0

    def __post_init__(self) -> None:
        if self.train_images < 0:
            raise SemcomError(f"train_images must be >= 0, got {self.train_images}")
        if self.partition not in PARTITIONS:
            raise SemcomError(
                f"unknown partition {self.partition!r}; choose one of: {', '.join(PARTITIONS)}"
            )
        if not (self.dirichlet > 0 and math.isfinite(self.dirichlet)):
            raise SemcomError(f"dirichlet must be a positive number, got {self.dirichlet}")
        if self.eval_images < 1:
            raise SemcomError(f"eval_images must be at least 1, got {self.eval_images}")
        if self.min_size < 1:
            raise SemcomError(f"min_size must be at least 1, got {self.min_size}")


@dataclass(frozen=True)
class LocalTraining:
    """``[train]``: each client's local training per round (Adam, MSE + task loss).

    Attributes:
        local_epochs: passes over the client's images per round.
        batch_size: images per step.
        lr: Adam learning rate.
        task_weight: weight of the classifier's cross-entropy on the reconstruction
            (paper 001 Eq. 16); needs ``model.classifier``; 0 trains on MSE alone.
    """

    local_epochs: int = 1
    batch_size: int = 32
    lr: float = 1e-3
    task_weight: float = 0.0

    def __post_init__(self) -> None:
        if self.local_epochs < 1:
            raise SemcomError(f"local_epochs must be at least 1, got {self.local_epochs}")
        if self.batch_size < 1:
            raise SemcomError(f"batch_size must be at least 1, got {self.batch_size}")
        if not self.lr > 0:
            raise SemcomError(f"lr must be positive, got {self.lr}")
        if self.task_weight < 0:
            raise SemcomError(f"task_weight must be >= 0, got {self.task_weight}")


@dataclass(frozen=True)
class WirelessSettings:
    """``[wireless]``: the uplink of paper 001 Eqs. 12-14.

    Attributes:
        snr_model: ``uniform`` (i.i.d. per round and client) or ``gauss-markov``
            (AR(1) in dB with ``correlation`` between rounds, clipped to ``snr_db``).
        snr_db: SNR range ``(low, high)`` in dB; the paper's is 0-25 dB.
        correlation: Gauss-Markov coefficient rho in [0, 1).
        bandwidth_hz: total uplink bandwidth, split equally (OFDMA) among the clients
            that upload in a round.
        power_w: transmit power P of every client in W (the paper's 0.1 W).
    """

    snr_model: str = "uniform"
    snr_db: tuple[float, float] | str = (0.0, 25.0)
    correlation: float = 0.9
    bandwidth_hz: float = 20e6
    power_w: float = 0.1

    def __post_init__(self) -> None:
        if self.snr_model not in SNR_MODELS:
            raise SemcomError(
                f"unknown snr_model {self.snr_model!r}; choose one of: {', '.join(SNR_MODELS)}"
            )
        snr: Any = self.snr_db
        if isinstance(snr, str):
            snr = parse_snr_range(snr)
        elif isinstance(snr, list | tuple) and len(snr) == 2:
            snr = (float(snr[0]), float(snr[1]))
        else:
            raise SemcomError(f"wireless.snr_db must be 'low:high' or [low, high], got {snr!r}")
        if snr[1] < snr[0]:
            raise SemcomError(f"wireless.snr_db range {snr} has high < low")
        object.__setattr__(self, "snr_db", snr)
        if not 0 <= self.correlation < 1:
            raise SemcomError(f"correlation must be in [0, 1), got {self.correlation}")
        if not self.bandwidth_hz > 0:
            raise SemcomError(f"bandwidth_hz must be positive, got {self.bandwidth_hz}")
        if not self.power_w > 0:
            raise SemcomError(f"power_w must be positive, got {self.power_w}")

    @property
    def snr_range(self) -> tuple[float, float]:
        """``snr_db`` as ``(low, high)`` dB (always a tuple after construction)."""
        snr: Any = self.snr_db
        return float(snr[0]), float(snr[1])


@dataclass(frozen=True)
class SimulationSettings:
    """``[simulation]``: resources of Flower's simulation engine (Ray).

    Attributes:
        client_cpus: CPUs reserved per simulated client (``num_cpus`` of its actor).
        client_gpus: GPUs per simulated client (fractions share one GPU).
        ray_cpus: CPUs Ray may use in all (default: every core).
    """

    client_cpus: float = 1.0
    client_gpus: float = 0.0
    ray_cpus: int = 0

    def __post_init__(self) -> None:
        if not self.client_cpus > 0:
            raise SemcomError(f"client_cpus must be positive, got {self.client_cpus}")
        if self.client_gpus < 0:
            raise SemcomError(f"client_gpus must be >= 0, got {self.client_gpus}")
        if self.ray_cpus < 0:
            raise SemcomError(f"ray_cpus must be >= 0 (0: all cores), got {self.ray_cpus}")


@dataclass(frozen=True)
class FaultSettings:
    """``[faults]``: injected client failures, to test a deployment's robustness.

    Attributes:
        raise_fraction: fraction of the sampled clients that raise in a round.
        nan_fraction: fraction that upload NaN weights in a round.
    """

    raise_fraction: float = 0.0
    nan_fraction: float = 0.0

    def __post_init__(self) -> None:
        _fraction("raise_fraction", self.raise_fraction, allow_zero=True)
        _fraction("nan_fraction", self.nan_fraction, allow_zero=True)
        if self.raise_fraction + self.nan_fraction > 1:
            raise SemcomError("raise_fraction + nan_fraction must be at most 1")


DP_MODES = ("none", "server-fixed", "server-adaptive", "client-fixed")


@dataclass(frozen=True)
class PrivacySettings:
    """``[privacy]``: differential privacy and secure aggregation from Flower's own modules.

    Attributes:
        dp: ``none``; ``server-fixed`` (Flower's
            ``DifferentialPrivacyServerSideFixedClipping``: the server clips each client's
            update to L2 norm ``clipping_norm``, then adds Gaussian noise of standard
            deviation ``noise_multiplier * clipping_norm / sampled clients`` to the average);
            ``server-adaptive`` (``DifferentialPrivacyServerSideAdaptiveClipping``: the same
            with a clipping norm that starts at ``clipping_norm`` and follows the
            ``target_quantile`` of the update norms, learning rate ``clip_norm_lr``);
            ``client-fixed`` (``DifferentialPrivacyClientSideFixedClipping``: each client
            clips its own update with Flower's ``compute_clip_model_update`` before it
            uploads; the server only adds the noise).
        noise_multiplier: z >= 0.
        clipping_norm: C > 0, L2 norm of a whole update (all tensors together); the initial
            norm for ``server-adaptive``.
        target_quantile: ``server-adaptive`` only, in (0, 1).
        clip_norm_lr: ``server-adaptive`` only, > 0.
        secagg: SecAgg+ (Flower's ``SecAggPlusWorkflow`` + ``secaggplus_mod``): the server
            learns only the weighted sum of the updates. Uploads are dense quantised
            vectors, so it refuses strategies that compress uploads, and server-side DP
            (which needs the individual updates). Weights are clipped to
            ``[-secagg_clipping_range, secagg_clipping_range]`` and quantised to
            ``secagg_quantization_range`` levels.
        secagg_shares: shares of each client's secret (int > 2, or a fraction of the
            sampled clients).
        secagg_threshold: shares needed to reconstruct one (int, or a fraction of
            ``secagg_shares``).
        secagg_clipping_range: > 0.
        secagg_quantization_range: integer levels, 2 .. 2**30.
    """

    dp: str = "none"
    noise_multiplier: float = 1.0
    clipping_norm: float = 1.0
    target_quantile: float = 0.5
    clip_norm_lr: float = 0.2
    secagg: bool = False
    secagg_shares: float = 1.0
    secagg_threshold: float = 0.5
    secagg_clipping_range: float = 8.0
    secagg_quantization_range: int = 2**22

    def __post_init__(self) -> None:
        if self.dp not in DP_MODES:
            raise SemcomError(f"unknown dp {self.dp!r}; choose one of: {', '.join(DP_MODES)}")
        if self.noise_multiplier < 0:
            raise SemcomError(f"noise_multiplier must be >= 0, got {self.noise_multiplier}")
        if not self.clipping_norm > 0:
            raise SemcomError(f"clipping_norm must be positive, got {self.clipping_norm}")
        if not 0 < self.target_quantile < 1:
            raise SemcomError(f"target_quantile must be in (0, 1), got {self.target_quantile}")
        if not self.clip_norm_lr > 0:
            raise SemcomError(f"clip_norm_lr must be positive, got {self.clip_norm_lr}")
        if not isinstance(self.secagg, bool):
            raise SemcomError(f"secagg must be true or false, got {self.secagg!r}")
        if self.secagg and self.dp.startswith("server-"):
            raise SemcomError(
                f"secagg hides the individual updates that dp = {self.dp!r} clips on the "
                "server; use dp = 'client-fixed' or 'none' with secagg"
            )
        if not self.secagg_shares > 0 or (self.secagg_shares > 1 and self.secagg_shares <= 2):
            raise SemcomError(
                f"secagg_shares must be a fraction in (0, 1] or an integer > 2, "
                f"got {self.secagg_shares}"
            )
        if not self.secagg_threshold > 0:
            raise SemcomError(f"secagg_threshold must be positive, got {self.secagg_threshold}")
        if self.secagg_shares > 2 and self.secagg_threshold >= self.secagg_shares:
            raise SemcomError("secagg_threshold must be less than secagg_shares")
        if not self.secagg_clipping_range > 0:
            raise SemcomError("secagg_clipping_range must be positive")
        if not 2 <= self.secagg_quantization_range <= 2**30:
            raise SemcomError("secagg_quantization_range must be an integer in 2 .. 2**30")


@dataclass(frozen=True)
class PSFLSettings:
    """``[psfl]`` (only with ``fl.strategy = "psfl"``): paper 001's PLD and AGP.

    The global (uploaded) model is the student ``model.codec`` (the paper's ``csc``);
    ``model.classifier`` is required (the task losses of PLD).

    Attributes:
        mentors: ``vitjscc`` sizes of the mentors, smallest first.
        mentor_shares: share of the clients, by ascending data volume, that get each
            mentor (Table I: 4/9 GSC-M, 3/9 GSC-L, 2/9 GSC-H); sums to 1.
        personalised: ``false`` is the "without PLD" ablation: every mentor is
            ``mentors[0]``.
        agp: ``false`` is the "without AGP" ablation: the student is never pruned.
        max_prune_ratio: the largest pruning proportion Eq. 22 may give, [0, 1).
        mentor_options: more ``vitjscc`` options for every mentor, e.g. ``{narrow = 2}``
            (the CPU-scale recipes).
        agp_start_round: first round whose broadcast is pruned (the paper: "PSFL starts
            from a certain round t"); 1 prunes from the start.
        regrow: value of a regrown weight: ``zero`` (default) or ``last`` (its value in
            the last aggregate before it was pruned).
        distillation_weight, semantic_weight: factors on the adaptive distillation
            (Eqs. 17-18) and adaptive semantic (Eq. 19) terms of both totals; 1 (the
            paper's Eqs. 20-21) by default, >= 0.
        student_distillation_weight: factor on the student's distillation from its mentor
            (Eq. 18) alone, >= 0, or ``None`` for ``distillation_weight`` (Eq. 18 as
            printed). Default ``0``: Eq. 17 kept (the mentor learns from the aggregated
            student), Eq. 18 dropped — measured: the printed Eq. 18 pulls the shared student
            towards nine locally biased mentors and costs ~3 points of global accuracy
            (docs/benchmarks.md, PSFL).
        symbol_map: how Eq. 19 compares the student's channel symbols with its mentor's:
            ``linear`` (default: through a client-local learned linear map, FitNets'
            regressor; see :mod:`semcom.federated.distillation`) or ``identity`` (as they
            are).
    """

    mentors: tuple[str, ...] = ("gsc-m", "gsc-l", "gsc-h")
    mentor_shares: tuple[float, ...] = (4 / 9, 3 / 9, 2 / 9)
    personalised: bool = True
    agp: bool = True
    max_prune_ratio: float = 0.9
    mentor_options: dict[str, Any] = field(default_factory=dict)
    agp_start_round: int = 1
    regrow: str = "zero"
    distillation_weight: float = 1.0
    semantic_weight: float = 1.0
    symbol_map: str = "linear"
    student_distillation_weight: float | None = 0.0

    def __post_init__(self) -> None:
        from semcom.codecs.vitjscc import SIZES

        if self.symbol_map not in ("identity", "linear"):
            raise SemcomError(
                f"psfl.symbol_map must be 'identity' or 'linear', got {self.symbol_map!r}"
            )
        for key in ("distillation_weight", "semantic_weight", "student_distillation_weight"):
            if getattr(self, key) is not None and not getattr(self, key) >= 0:
                raise SemcomError(f"psfl.{key} must be >= 0, got {getattr(self, key)}")

        if self.agp_start_round < 1:
            raise SemcomError(f"psfl.agp_start_round must be >= 1, got {self.agp_start_round}")
        if self.regrow not in ("zero", "last"):
            raise SemcomError(f"psfl.regrow must be 'zero' or 'last', got {self.regrow!r}")
        if "size" in self.mentor_options:
            raise SemcomError("psfl.mentor_options cannot set size; use psfl.mentors")
        for size in self.mentors:
            if size not in SIZES:
                raise SemcomError(f"unknown mentor size {size!r}; choose from: {', '.join(SIZES)}")
        if len(self.mentor_shares) != len(self.mentors):
            raise SemcomError(
                f"psfl.mentor_shares has {len(self.mentor_shares)} values for "
                f"{len(self.mentors)} mentors"
            )
        if any(v < 0 for v in self.mentor_shares) or abs(sum(self.mentor_shares) - 1) > 1e-3:
            raise SemcomError(
                f"psfl.mentor_shares must be non-negative and sum to 1, got "
                f"{list(self.mentor_shares)} (sum {sum(self.mentor_shares):.4g})"
            )
        if not 0 <= self.max_prune_ratio < 1:
            raise SemcomError(f"psfl.max_prune_ratio must be in [0, 1), got {self.max_prune_ratio}")


@dataclass(frozen=True)
class STCSettings:
    """``[stc]`` (only with ``fl.strategy = "stc"``): sparse ternary compression (Sattler
    et al. 2019) of the update, up and down, with error accumulation on both ends.

    Attributes:
        fraction: share of the update's entries kept (top-k by magnitude), (0, 1].
    """

    fraction: float = 0.01

    def __post_init__(self) -> None:
        if not 0 < self.fraction <= 1:
            raise SemcomError(f"stc.fraction must be in (0, 1], got {self.fraction}")


@dataclass(frozen=True)
class FTTQSettings:
    """``[fttq]`` (only with ``fl.strategy = "fttq"``): federated trained ternary
    quantisation (Xu et al. 2020) — clients train ternary kernels with learned scales.

    Attributes:
        threshold: Δ / max|w| of the ternarisation, [0, 1).
    """

    threshold: float = 0.05

    def __post_init__(self) -> None:
        if not 0 <= self.threshold < 1:
            raise SemcomError(f"fttq.threshold must be in [0, 1), got {self.threshold}")


@dataclass(frozen=True)
class FedPAQSettings:
    """``[fedpaq]`` (only with ``fl.strategy = "fedpaq"``): periodic averaging (the period
    is ``train.local_epochs``) and stochastic quantisation of the update (Reisizadeh et
    al. 2020).

    Attributes:
        levels: quantisation levels s per sign, >= 1.
    """

    levels: int = 4

    def __post_init__(self) -> None:
        if self.levels < 1:
            raise SemcomError(f"fedpaq.levels must be at least 1, got {self.levels}")


#: ``fl.strategy`` -> its option table (a table given for another strategy is an error)
STRATEGY_TABLES = ("psfl", "stc", "fttq", "fedpaq")


_TABLES: dict[str, type] = {
    "fl": ServerSettings,
    "model": ModelSettings,
    "data": DataSettings,
    "train": LocalTraining,
    "wireless": WirelessSettings,
    "simulation": SimulationSettings,
    "faults": FaultSettings,
    "privacy": PrivacySettings,
    "psfl": PSFLSettings,
    "stc": STCSettings,
    "fttq": FTTQSettings,
    "fedpaq": FedPAQSettings,
}


@dataclass(frozen=True)
class FLConfig:
    """A whole ``fl.toml``: one attribute per table (see the module docstring)."""

    fl: ServerSettings = field(default_factory=ServerSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    data: DataSettings = field(default_factory=DataSettings)
    train: LocalTraining = field(default_factory=LocalTraining)
    wireless: WirelessSettings = field(default_factory=WirelessSettings)
    simulation: SimulationSettings = field(default_factory=SimulationSettings)
    faults: FaultSettings = field(default_factory=FaultSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    psfl: PSFLSettings = field(default_factory=PSFLSettings)
    stc: STCSettings = field(default_factory=STCSettings)
    fttq: FTTQSettings = field(default_factory=FTTQSettings)
    fedpaq: FedPAQSettings = field(default_factory=FedPAQSettings)

    def __post_init__(self) -> None:
        if self.faults.nan_fraction > 0 and self.fl.strategy != "fedavg":
            raise SemcomError(
                "faults.nan_fraction is injected by the fedavg client only; use "
                "faults.raise_fraction with other strategies"
            )
        if self.fl.strategy == "psfl" and self.privacy.dp != "none":
            raise SemcomError(
                "fl.strategy = 'psfl' with privacy.dp is not supported: DP noise would "
                "un-prune the student; set privacy.dp = 'none'"
            )
        if self.fl.strategy == "psfl" and not self.model.classifier:
            raise SemcomError(
                "fl.strategy = 'psfl' needs model.classifier (the task losses of PLD), e.g. "
                "'zoo:classifier-fashion-mnist'"
            )
        if self.train.task_weight > 0 and not self.model.classifier:
            raise SemcomError("train.task_weight > 0 needs model.classifier")
        if self.privacy.secagg:
            from semcom.federated.strategy_registry import STRATEGIES

            if STRATEGIES[self.fl.strategy].compresses_uploads:
                raise SemcomError(
                    f"secagg uploads are dense quantised vectors: it cannot carry strategy "
                    f"{self.fl.strategy!r}'s compressed uploads; drop secagg or choose an "
                    "uncompressed strategy (fedavg)"
                )
            if self.faults.nan_fraction > 0:
                raise SemcomError(
                    "faults.nan_fraction needs the server to see each upload, which secagg "
                    "hides; use faults.raise_fraction to test dropouts under secagg"
                )

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Plain tables (lists for tuples) that :func:`fl_config_from_dict` reads back."""
        out: dict[str, dict[str, Any]] = {}
        for name in _TABLES:
            if name in STRATEGY_TABLES and name != self.fl.strategy:
                continue
            table = dataclasses.asdict(getattr(self, name))
            out[name] = {k: list(v) if isinstance(v, tuple) else v for k, v in table.items()}
        return out


def fl_config_from_dict(raw: dict[str, Any], source: str = "fl config") -> FLConfig:
    """Build an :class:`FLConfig` from TOML-like tables; unknown tables or keys are errors."""
    unknown = sorted(set(raw) - set(_TABLES))
    if unknown:
        raise SemcomError(f"{source}: unknown table [{unknown[0]}]; tables: {', '.join(_TABLES)}")
    fl_raw = raw.get("fl", {})
    strategy = fl_raw.get("strategy", "fedavg") if isinstance(fl_raw, dict) else "fedavg"
    for name in STRATEGY_TABLES:
        if name in raw and name != strategy:
            raise SemcomError(
                f"{source}: [{name}] options are for fl.strategy = {name!r}, but the run's "
                f"strategy is {strategy!r}"
            )
    parts: dict[str, Any] = {}
    for name, cls in _TABLES.items():
        table = raw.get(name, {})
        if not isinstance(table, dict):
            raise SemcomError(f"{source}: [{name}] must be a table")
        parts[name] = config_from_dict(cls, table, source=f"{source} [{name}]")
    return FLConfig(**parts)


def load_fl_config(path: str | Path) -> FLConfig:
    """Read and check an ``fl.toml`` file (one-line :class:`SemcomError` when wrong)."""
    return fl_config_from_dict(read_toml(path), source=str(path))
