"""FLeS's domain classifier: which semantic features a user shares with every task.

Paper 000 ("Federated Multi-Task Learning"): each user separates its semantic features
into *sharable* ones, whose distribution matches the global one, and *task-specific*
ones, by minimising the difference between the distribution of its shared features and
the global distribution. Here the separation is learned, not a fixed split of layers:

- :class:`DomainGate` holds one logit per feature; ``g = sigmoid(logits)`` in ``[0, 1]^d``
  is how sharable each feature is; shared features are ``g * f``, specific ones
  ``(1 - g) * f``.
- :func:`moment_distance` is the distribution difference: the squared distance of the
  means plus that of the covariances (an MMD with a second-order polynomial kernel, as in
  CORAL) between a batch of shared features and the global statistics
  (:class:`FeatureMoments`, aggregated by the server from every user's).
- :func:`gate_loss` = ``moment_distance(g * f, global) - share_weight * mean(g)``: the
  second term keeps the gate from declaring nothing sharable (which would trivially
  match); a feature stays shared only while its distribution agrees with the global one.

The gate also steers FLeS's phase-2 aggregation (:func:`gated_average`): each feature's
weights are averaged across tasks in proportion to how sharable each task found it.

Example:
    >>> import torch
    >>> gate = DomainGate(4)
    >>> f = torch.randn(32, 4)
    >>> glob = FeatureMoments.of(torch.randn(64, 4))
    >>> loss = gate_loss(gate, f, glob, share_weight=0.1)
    >>> loss.backward()
    >>> gate.logits.grad.shape
    torch.Size([4])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from semcom.errors import SemcomError

__all__ = ["DomainGate", "FeatureMoments", "gate_loss", "gated_average", "moment_distance"]


class DomainGate(nn.Module):
    """Per-feature sharability ``g = sigmoid(logits)`` ``[d]``; starts at ``g = 0.5``."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        if dim < 1:
            raise SemcomError(f"feature dimension must be >= 1, got {dim}")
        self.logits = nn.Parameter(torch.zeros(dim))

    def forward(self) -> torch.Tensor:
        """``[d] float32`` in ``[0, 1]``."""
        return torch.sigmoid(self.logits)

    def split(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``[B, d]`` -> (shared ``g * f``, specific ``(1 - g) * f``), both ``[B, d]``."""
        g = self()
        return features * g, features * (1 - g)


@dataclass(frozen=True)
class FeatureMoments:
    """Mean ``[d]``, covariance ``[d, d]`` and count of a set of feature vectors."""

    mean: torch.Tensor
    cov: torch.Tensor
    count: int

    @classmethod
    def of(cls, features: torch.Tensor) -> FeatureMoments:
        """The moments of ``[N, d]`` features (N >= 2)."""
        if features.ndim != 2 or features.shape[0] < 2:
            raise SemcomError(f"need [N >= 2, d] features, got {list(features.shape)}")
        f = features.detach().double()
        mean = f.mean(0)
        centred = f - mean
        cov = centred.T @ centred / (f.shape[0] - 1)
        return cls(mean.float(), cov.float(), int(f.shape[0]))

    @classmethod
    def pooled(cls, parts: Sequence[FeatureMoments]) -> FeatureMoments:
        """The moments of the union of the parts' feature sets (exact pooling)."""
        if not parts:
            raise SemcomError("no feature moments to pool")
        n = sum(p.count for p in parts)
        mean = sum(p.count * p.mean.double() for p in parts) / n
        scatter = sum(
            (p.count - 1) * p.cov.double()
            + p.count * torch.outer(p.mean.double() - mean, p.mean.double() - mean)
            for p in parts
        )
        assert isinstance(mean, torch.Tensor)
        assert isinstance(scatter, torch.Tensor)
        return cls(mean.float(), (scatter / (n - 1)).float(), n)


def moment_distance(features: torch.Tensor, target: FeatureMoments) -> torch.Tensor:
    """``|mean(f) - mu|^2 + |cov(f) - Sigma|_F^2 / d`` for a batch ``[B, d]`` (B >= 2)."""
    if features.shape[0] < 2:
        raise SemcomError("moment distance needs a batch of at least 2")
    mean = features.mean(0)
    centred = features - mean
    cov = centred.T @ centred / (features.shape[0] - 1)
    mu, sigma = target.mean.to(features), target.cov.to(features)
    d = features.shape[1]
    out: torch.Tensor = (mean - mu).pow(2).sum() + (cov - sigma).pow(2).sum() / d
    return out


def gate_loss(
    gate: DomainGate,
    features: torch.Tensor,
    global_moments: FeatureMoments,
    share_weight: float = 0.1,
) -> torch.Tensor:
    """The domain classifier's objective (module docstring) for features ``[B, d]``."""
    shared, _ = gate.split(features)
    g: torch.Tensor = gate()
    return moment_distance(shared, global_moments) - share_weight * g.mean()


def gated_average(
    tensors: Sequence[torch.Tensor], gates: Sequence[torch.Tensor], weights: Sequence[float]
) -> torch.Tensor:
    """Phase-2 aggregation of one per-feature tensor (feature index first, ``[d, ...]``):
    row ``j`` is the average of the tasks' rows weighted by ``weights`` (examples) times
    each task's sharability ``g[j]``; rows no task shares fall back to the plain average.
    """
    if not (len(tensors) == len(gates) == len(weights)) or not tensors:
        raise SemcomError("gated_average needs one gate and one weight per tensor")
    w = torch.tensor(weights, dtype=torch.float32)
    g = torch.stack([x.detach().float() for x in gates])  # [T, d]
    coef = g * w[:, None]  # [T, d]
    total = coef.sum(0)
    plain = (w / w.sum())[:, None].expand_as(coef)
    coef = torch.where(total[None] > 1e-12, coef / total.clamp_min(1e-12)[None], plain)
    stacked = torch.stack([t.float() for t in tensors])  # [T, d, ...]
    shape = (*coef.shape, *([1] * (stacked.ndim - 2)))
    return (coef.reshape(shape) * stacked).sum(0).to(tensors[0].dtype)
