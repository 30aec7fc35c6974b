"""AGP, the adaptive global pruning of PSFL (paper 001 Sec. III-B, Eq. 22, Algorithm 2).

After aggregation the server prunes the global student: the proportion ``zeta_t`` of Eq.
22 follows the round's mean uplink SNR,

    zeta_t = (psi_max - mean_k psi_k,t) / (psi_max - psi_min),

clipped to ``[0, max_ratio]``. Pruning removes, among the prunable weights (tensors of
two or more dimensions: linear and convolution kernels; biases and norm parameters stay
dense), the smallest positive and the largest negative ones — the ``zeta`` share of each
sign closest to zero. When ``zeta`` falls the mask gives back pruned positions at random
(regrown at 0, to be trained) until the pruned share is ``zeta`` again.

(The paper's text says "if zeta_{t+1} < zeta_t, more weights should be pruned", which
contradicts Eq. 22 naming zeta the pruning proportion; we follow the equation: a lower
ratio keeps more weights, as the issue states.)

The mask is state both ends share: the server broadcasts it with the pruned weights, the
clients keep pruned weights at zero while training (:func:`apply_masks` after every
step), and an upload is the kept values in mask order, so it carries no index overhead.

Example:
    >>> import torch
    >>> agp_ratio(torch.tensor([5.0, 15.0]), snr_min_db=0.0, snr_max_db=25.0)
    0.6
    >>> w = {"fc.weight": torch.tensor([[0.1, -0.2, 0.3, -0.4]]), "fc.bias": torch.tensor([1.0])}
    >>> masks = update_masks(w, None, 0.5, torch.Generator().manual_seed(0))
    >>> apply_masks(w, masks)["fc.weight"]
    tensor([[ 0.0000,  0.0000,  0.3000, -0.4000]])
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from semcom.errors import SemcomError

__all__ = [
    "agp_ratio",
    "apply_masks",
    "kept_values",
    "prunable",
    "pruned_fraction",
    "restore_values",
    "update_masks",
]

Masks = dict[str, torch.Tensor]  # tensor name -> bool mask of its shape (True: kept)


def agp_ratio(
    snr_db: torch.Tensor, snr_min_db: float, snr_max_db: float, max_ratio: float = 0.9
) -> float:
    """Eq. 22: the pruning proportion for the round's uplink SNRs ``[K] float`` (dB),
    clipped to ``[0, max_ratio]``."""
    if not snr_max_db > snr_min_db:
        raise SemcomError(f"AGP needs snr_max_db > snr_min_db, got {snr_min_db}, {snr_max_db}")
    if not 0 <= max_ratio < 1:
        raise SemcomError(f"the largest pruning ratio must be in [0, 1), got {max_ratio}")
    zeta = (snr_max_db - float(snr_db.float().mean())) / (snr_max_db - snr_min_db)
    return round(min(max(zeta, 0.0), max_ratio), 12)


def prunable(name: str, tensor: torch.Tensor) -> bool:
    """Kernels (floating point, two or more dimensions) are pruned; the rest stays dense."""
    return tensor.is_floating_point() and tensor.dim() >= 2


def _side_threshold_mask(values: torch.Tensor, share: float) -> torch.Tensor:
    """Of ``values`` (all one sign, as magnitudes), mask out the ``share`` smallest."""
    n_out = round(share * values.numel())
    keep = torch.ones(values.numel(), dtype=torch.bool)
    if n_out > 0:
        keep[torch.argsort(values, stable=True)[:n_out]] = False
    return keep


def update_masks(
    weights: Mapping[str, torch.Tensor],
    masks: Masks | None,
    ratio: float,
    generator: torch.Generator,
) -> Masks:
    """The masks that prune ``ratio`` of the prunable weights.

    From no masks (or a ratio above the current one) it prunes the kept weights closest to
    zero on each side (positive and negative) until ``ratio`` of each side's weights is
    pruned; below the current ratio it regrows random pruned positions.

    Args:
        weights: the aggregated global ``state_dict``.
        masks: the masks of the previous round, or ``None``.
        ratio: target pruned share, [0, 1).
        generator: CPU generator of the regrowth draws.

    Returns:
        ``{name: [shape] bool}`` for every prunable tensor (True: kept).
    """
    if not 0 <= ratio < 1:
        raise SemcomError(f"pruning ratio must be in [0, 1), got {ratio}")
    names = [n for n, t in weights.items() if prunable(n, t)]
    flat = torch.cat([weights[n].detach().float().reshape(-1).cpu() for n in names])
    if masks is None:
        kept = torch.ones(flat.numel(), dtype=torch.bool)
    else:
        kept = torch.cat([masks[n].reshape(-1).cpu() for n in names])
    total = flat.numel()
    target_pruned = round(ratio * total)
    pruned_now = total - int(kept.sum())
    if target_pruned > pruned_now:  # prune more: the smallest kept magnitudes, per sign
        share_extra = (target_pruned - pruned_now) / max(int(kept.sum()), 1)
        for sign in (1.0, -1.0):
            side = kept & ((flat > 0) if sign > 0 else (flat <= 0))
            idx = torch.nonzero(side).reshape(-1)
            keep_side = _side_threshold_mask(flat[idx].abs(), share_extra)
            kept[idx[~keep_side]] = False
        # rounding per side can miss the target by a weight or two: settle it globally
        diff = (total - int(kept.sum())) - target_pruned
        if diff > 0:
            cand = torch.nonzero(~kept).reshape(-1)
            order = torch.argsort(flat[cand].abs(), descending=True, stable=True)
            kept[cand[order[:diff]]] = True
        elif diff < 0:
            cand = torch.nonzero(kept).reshape(-1)
            order = torch.argsort(flat[cand].abs(), stable=True)
            kept[cand[order[:-diff]]] = False
    elif target_pruned < pruned_now:  # regrow at random
        cand = torch.nonzero(~kept).reshape(-1)
        pick = torch.randperm(cand.numel(), generator=generator)[: pruned_now - target_pruned]
        kept[cand[pick]] = True
    out: Masks = {}
    start = 0
    for n in names:
        size = weights[n].numel()
        out[n] = kept[start : start + size].reshape(weights[n].shape).clone()
        start += size
    return out


def apply_masks(weights: Mapping[str, torch.Tensor], masks: Masks) -> dict[str, torch.Tensor]:
    """``weights`` with pruned positions set to zero (tensors without a mask unchanged)."""
    return {
        n: torch.where(masks[n].to(t.device), t, torch.zeros((), dtype=t.dtype, device=t.device))
        if n in masks
        else t
        for n, t in weights.items()
    }


def pruned_fraction(masks: Masks) -> float:
    """Share of the prunable weights that are pruned."""
    total = sum(m.numel() for m in masks.values())
    return 1.0 - sum(int(m.sum()) for m in masks.values()) / max(total, 1)


def kept_values(weights: Mapping[str, torch.Tensor], masks: Masks) -> dict[str, torch.Tensor]:
    """The upload: each masked tensor as its kept values ``[n_kept] float32`` in mask
    order; unmasked tensors as they are."""
    return {n: t[masks[n]] if n in masks else t for n, t in weights.items()}


def restore_values(
    values: Mapping[str, torch.Tensor], masks: Masks, reference: Mapping[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """Inverse of :func:`kept_values` for tensors laid out like ``reference``."""
    out: dict[str, torch.Tensor] = {}
    for n, ref in reference.items():
        v = values[n]
        if n in masks:
            full = torch.zeros_like(ref)
            full[masks[n]] = v.to(ref.dtype)
            out[n] = full
        else:
            out[n] = v
    return out
