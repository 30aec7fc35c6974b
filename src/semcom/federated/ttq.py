"""Trained ternary quantisation (Zhu et al. 2017), the local training of FTTQ (Xu et al.
2020): every kernel is used as ``w_p * [w > Δ] - w_n * [w < -Δ]`` with ``Δ = threshold *
max|w|`` and learned scales ``w_p``, ``w_n`` > 0.

:func:`attach` registers the ternarisation on every kernel (tensors of two or more
dimensions) of a model with ``torch.nn.utils.parametrize`` — the latent full-precision
weight stays the parameter, the forward pass sees its ternary version — and :func:`detach`
removes it, returning the learned scales. Gradients follow TTQ: to the scales, the sum of
the gradient over their positions; to the latent weight, the gradient scaled by ``w_p``
above Δ, by ``w_n`` below -Δ and passed as is in between.

Example:
    >>> import torch
    >>> lin = torch.nn.Linear(4, 2)
    >>> attach(lin, threshold=0.05)
    1
    >>> len(lin.weight.unique()) <= 3          # {-w_n, 0, w_p}
    True
    >>> sorted(detach(lin))
    ['weight']
"""

from __future__ import annotations

from typing import Any, cast

import torch
from torch import nn
from torch.nn.utils import parametrize

__all__ = ["Ternarize", "attach", "detach", "scales"]


class _TernaryFn(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any, w: torch.Tensor, wp: torch.Tensor, wn: torch.Tensor, threshold: float
    ) -> torch.Tensor:
        delta = threshold * w.detach().abs().max()
        pos, neg = w > delta, w < -delta
        ctx.save_for_backward(pos, neg, wp, wn)
        return wp * pos.to(w.dtype) - wn * neg.to(w.dtype)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        pos, neg, wp, wn = ctx.saved_tensors
        g_w = torch.where(pos, grad * wp, torch.where(neg, grad * wn, grad))
        g_wp = (grad * pos.to(grad.dtype)).sum().reshape(wp.shape)
        g_wn = -(grad * neg.to(grad.dtype)).sum().reshape(wn.shape)
        return g_w, g_wp, g_wn, None


class Ternarize(nn.Module):
    """The parametrisation: latent weight -> ternary weight with learned scales.

    Args:
        weight: the latent weight it starts from (the scales start at the mean magnitude
            of the entries above the threshold on each side).
        threshold: Δ / max|w|, in [0, 1).
    """

    def __init__(self, weight: torch.Tensor, threshold: float) -> None:
        super().__init__()
        self.threshold = threshold
        w = weight.detach()
        delta = threshold * w.abs().max()
        pos, neg = w[w > delta], w[w < -delta]
        self.wp = nn.Parameter(pos.mean().reshape(1) if pos.numel() else torch.ones(1) * 1e-3)
        self.wn = nn.Parameter(-neg.mean().reshape(1) if neg.numel() else torch.ones(1) * 1e-3)

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = _TernaryFn.apply(w, self.wp, self.wn, self.threshold)  # type: ignore[no-untyped-call]
        return out


def _kernels(model: nn.Module) -> list[tuple[nn.Module, str]]:
    found = []
    for module in model.modules():
        for name, p in list(module.named_parameters(recurse=False)):
            if p.dim() >= 2 and p.is_floating_point():
                found.append((module, name))
    return found


def attach(model: nn.Module, threshold: float) -> int:
    """Ternarise every kernel of ``model`` in place; returns how many."""
    kernels = _kernels(model)
    for module, name in kernels:
        parametrize.register_parametrization(
            module, name, Ternarize(getattr(module, name), threshold), unsafe=True
        )
    return len(kernels)


def scales(model: nn.Module) -> dict[str, tuple[float, float]]:
    """``{parameter path: (w_p, w_n)}`` of the attached ternarisations."""
    out: dict[str, tuple[float, float]] = {}
    for prefix, module in model.named_modules():
        if parametrize.is_parametrized(module):
            plists = cast(nn.ModuleDict, module.parametrizations)
            for name, plist in plists.items():
                t = cast(nn.ModuleList, plist)[0]
                assert isinstance(t, Ternarize)
                key = f"{prefix}.{name}" if prefix else name
                out[key] = (float(t.wp.detach().abs()), float(t.wn.detach().abs()))
    return out


def detach(model: nn.Module) -> dict[str, tuple[float, float]]:
    """Remove the ternarisations (the latent full-precision weights remain); returns the
    learned scales as :func:`scales` does."""
    learned = scales(model)
    for module in list(model.modules()):
        if parametrize.is_parametrized(module):
            for name in list(cast(nn.ModuleDict, module.parametrizations).keys()):
                parametrize.remove_parametrizations(module, name, leave_parametrized=False)
    return learned
