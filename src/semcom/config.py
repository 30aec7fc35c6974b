"""Frozen dataclass configs, loadable from TOML; unknown keys are errors.

Example:
    >>> from semcom.config import TrainConfig, config_from_dict
    >>> cfg = config_from_dict(TrainConfig, {"codec": "deepjscc", "epochs": 2})
    >>> cfg.epochs, cfg.snr_db
    (2, (0.0, 20.0))
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from semcom.errors import SemcomError
from semcom.losses import check_loss
from semcom.parsing import parse_cbr, parse_snr_range

C = TypeVar("C")

#: Learning-rate schedules and training-image augmentations :class:`TrainConfig` accepts.
LR_SCHEDULES = ("constant", "cosine")
AUGMENTATIONS = ("none", "flip")
#: ``reconstruct``: the image loss (``loss``, MSE by default); ``classify``: the image loss +
#: task_weight * CE of a classifier on the reconstruction (paper 001, Eq. 16).
TASKS = ("reconstruct", "classify")
#: Arithmetic of the training forward pass: ``fp32``, or ``bf16`` autocast (weights, optimiser
#: state and validation stay float32; about 1.9x faster per step on a CPU with AVX-512 BF16).
PRECISIONS = ("fp32", "bf16")


def check_precision(precision: str) -> None:
    """Raise :class:`SemcomError` unless ``precision`` is one of :data:`PRECISIONS`."""
    if precision not in PRECISIONS:
        raise SemcomError(
            f"unknown precision {precision!r}; choose one of: {', '.join(PRECISIONS)}"
        )


@dataclass(frozen=True)
class TrainConfig:
    """Everything ``semcom train`` needs; the final checkpoint stores it.

    Attributes:
        codec: registered codec name (``semcom models``).
        codec_options: extra keyword arguments for the codec (e.g. ``{width = 64}``).
        data: data spec (``patches``, ``npz:PATH#val=0.1``, ...; see ``semcom.data``).
        channel: registered channel name (``awgn``, ``rayleigh-block``, ...).
        channel_options: extra keyword arguments for the channel.
        snr_db: training SNR range ``(low_db, high_db)``, sampled uniformly per image;
            TOML accepts ``"0:20"``, ``[0, 20]`` or a single number.
        cbr: bandwidth ratio k / (C*H*W); TOML accepts ``"1/6"`` or a float.
        epochs: epochs to train (at least one of ``epochs`` / ``time_budget_min``).
        time_budget_min: wall-clock budget in minutes, summed over resumed runs.
        batch_size: images per step.
        lr: Adam learning rate (the peak one under a schedule).
        lr_schedule: ``"constant"`` or ``"cosine"``: anneal from ``lr`` to ``lr / 100``
            over the run (its epochs or its time budget, whichever ends it first).
        augment: ``"none"`` or ``"flip"`` (random horizontal flips of training images).
        seed: seed of every random choice (init, shuffling, SNR draws, noise).
        device: ``auto`` (CUDA when present), ``cpu`` or ``cuda``.
        out: run folder (``last.pt``, ``train_log.csv``, the final checkpoint).
        val_images: held-out images used for the per-epoch validation PSNR.
        init: checkpoint (path or ``zoo:NAME``) whose weights the training starts from
            (fine-tuning); its codec and cbr must be the ones configured, its codec
            options are used, and the data must have its image geometry.
        task: ``"reconstruct"`` (``loss``) or ``"classify"`` (paper 001 Eq. 16: ``loss`` plus
            ``task_weight`` times the cross-entropy of a classifier on the reconstruction;
            needs labelled data).
        classifier: ``classify`` only: a classifier checkpoint (path or
            ``zoo:classifier-...``) used frozen; ``None`` trains a fresh classifier jointly
            with the codec (stored in the codec checkpoint).
        task_weight: weight of the cross-entropy term.
        precision: ``"fp32"`` or ``"bf16"`` (:data:`PRECISIONS`): the forward pass and loss
            under bfloat16 autocast; may change on resume.
        loss: the reconstruction loss (:data:`semcom.losses.IMAGE_LOSSES`): ``"mse"``,
            ``"l1"`` or ``"psnr"`` (minus the mean per-image PSNR, the benchmarks' measure).
    """

    codec: str = "deepjscc"
    codec_options: dict[str, Any] = field(default_factory=dict)
    data: str = "patches"
    channel: str = "awgn"
    channel_options: dict[str, Any] = field(default_factory=dict)
    snr_db: tuple[float, float] = (0.0, 20.0)
    cbr: float = 1 / 6
    epochs: int | None = None
    time_budget_min: float | None = None
    batch_size: int = 64
    lr: float = 1e-3
    lr_schedule: str = "constant"
    augment: str = "none"
    seed: int = 0
    device: str = "auto"
    out: str = "runs/train"
    val_images: int = 512
    init: str | None = None
    task: str = "reconstruct"
    classifier: str | None = None
    task_weight: float = 1.0
    precision: str = "fp32"
    loss: str = "mse"

    def __post_init__(self) -> None:
        snr: Any = self.snr_db
        if isinstance(snr, str):
            snr = parse_snr_range(snr)
        elif isinstance(snr, int | float):
            snr = (float(snr), float(snr))
        elif isinstance(snr, list | tuple) and len(snr) == 2:
            snr = (float(snr[0]), float(snr[1]))
        else:
            raise SemcomError(f"snr_db must be 'low:high' or [low, high], got {snr!r}")
        if snr[1] < snr[0]:
            raise SemcomError(f"snr_db range {snr} has high < low")
        object.__setattr__(self, "snr_db", snr)
        object.__setattr__(self, "cbr", parse_cbr(self.cbr))
        if self.epochs is None and self.time_budget_min is None:
            raise SemcomError("give --epochs N or --time-budget-min M (or both)")
        if self.epochs is not None and self.epochs < 1:
            raise SemcomError(f"epochs must be at least 1, got {self.epochs}")
        if self.time_budget_min is not None and self.time_budget_min <= 0:
            raise SemcomError(f"time_budget_min must be positive, got {self.time_budget_min}")
        if self.batch_size < 1:
            raise SemcomError(f"batch_size must be at least 1, got {self.batch_size}")
        if self.lr <= 0:
            raise SemcomError(f"lr must be positive, got {self.lr}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise SemcomError(
                f"unknown lr_schedule {self.lr_schedule!r}; "
                f"choose one of: {', '.join(LR_SCHEDULES)}"
            )
        if self.augment not in AUGMENTATIONS:
            raise SemcomError(
                f"unknown augment {self.augment!r}; choose one of: {', '.join(AUGMENTATIONS)}"
            )
        if self.task not in TASKS:
            raise SemcomError(f"unknown task {self.task!r}; choose one of: {', '.join(TASKS)}")
        if self.task_weight < 0:
            raise SemcomError(f"task_weight must be >= 0, got {self.task_weight}")
        if self.classifier is not None and self.task != "classify":
            raise SemcomError("--classifier only applies with --task classify")
        check_precision(self.precision)
        check_loss(self.loss)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (lists for tuples) that :func:`config_from_dict` reads back."""
        d = dataclasses.asdict(self)
        d["snr_db"] = list(self.snr_db)
        return d

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with ``changes`` applied (``None`` values are ignored)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _check_type(cls_name: str, key: str, value: Any, annotation: Any) -> None:
    """Reject values whose type is clearly wrong for ``annotation`` (str vs number etc.)."""
    origin = typing.get_origin(annotation)
    options = typing.get_args(annotation) if origin in (typing.Union, types.UnionType) else ()
    allowed = options or (annotation,)
    kinds: set[type] = set()
    for a in allowed:
        base = typing.get_origin(a) or a
        if base is float:
            kinds |= {float, int, str}  # str: "1/6" style values parsed later
        elif base is tuple:
            kinds |= {list, tuple, str, int, float}
        elif isinstance(base, type):
            kinds.add(base)
    if value is None and type(None) in kinds:
        return
    if not any(isinstance(value, k) for k in kinds) or (
        isinstance(value, bool) and bool not in kinds
    ):
        raise SemcomError(
            f"{cls_name}.{key} has the wrong type: got {type(value).__name__} {value!r}"
        )


def config_from_dict(cls: type[C], data: dict[str, Any], *, source: str = "config") -> C:
    """Build the frozen dataclass ``cls`` from ``data``; unknown keys are errors."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls} is not a dataclass")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise SemcomError(
            f"{source}: unknown key {unknown[0]!r} for {cls.__name__}; "
            f"allowed keys: {', '.join(fields)}"
        )
    hints = typing.get_type_hints(cls)
    for key, value in data.items():
        _check_type(cls.__name__, key, value, hints[key])
    try:
        return cls(**data)
    except TypeError as e:
        raise SemcomError(f"{source}: {e}") from None


def read_toml(path: str | Path, table: str | None = None) -> dict[str, Any]:
    """The keys of the TOML file ``path`` (or of its ``[table]``); clear errors."""
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SemcomError(f"config file {str(p)!r} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise SemcomError(f"config file {str(p)!r} is not valid TOML: {e}") from None
    if table is not None:
        if table not in raw or not isinstance(raw[table], dict):
            raise SemcomError(f"config file {str(p)!r} has no [{table}] table")
        raw = raw[table]
    return raw


def codec_recipe(codec: str) -> dict[str, Any]:
    """Training settings a codec's paper prescribes (``recipe`` on its class), used for
    the keys neither the command line nor the TOML file sets; ``{}`` for most codecs."""
    from semcom.registry import CODECS

    if codec not in CODECS:
        return {}
    return dict(getattr(CODECS.entry(codec).factory, "recipe", {}))


def load_config(
    cls: type[C],
    path: str | Path,
    *,
    table: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> C:
    """Read ``cls`` from the TOML file ``path`` (optionally from its ``[table]``).

    ``overrides`` (e.g. command-line flags) win over the file's keys; the file may leave
    out what they supply (a config without ``epochs`` plus ``--epochs 5`` is complete).
    """
    p = Path(path)
    raw = read_toml(p, table)
    source = str(p) if not overrides else f"{p} and the command line"
    return config_from_dict(cls, {**raw, **(overrides or {})}, source=source)
