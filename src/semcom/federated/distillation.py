"""PLD, the personalised local distillation of PSFL (paper 001 Sec. III-A, Eqs. 15-21).

A client holds a mentor GSC (``vitjscc`` M / L / H, chosen by its data volume) and the
shared CSC student; both send the same images over the channel and learn from each
other:

- task losses (Eqs. 15-16): ``L_task = CE(y, y_hat) + MSE(m, m_hat)``, with ``y_hat`` the
  frozen task classifier's prediction on the model's reconstruction ``m_hat``;
- adaptive distillation (Eqs. 17-18): ``L'_dis = KL(y_hat || y_hat') / L_task`` for the
  mentor and ``L_dis = KL(y_hat' || y_hat) / L'_task`` for the student — each model moves
  towards the other's prediction, weighted down when the other's task loss is large;
- adaptive semantic loss (Eq. 19): ``(MSE(S', S) + MSE(C', C)) / (L'_task + L_task)``,
  pulling each model towards the other's;
- totals (Eqs. 20-21): ``L_total = L_task + L_dis + L_sem`` per model.

What the other model contributes (its prediction, features and task loss) is a constant
for the model being updated (detached), as in deep mutual learning. Mentor and student
have different architectures, so ``S`` and ``C`` are taken where both have the same shape:
``S`` is the encoder output, the ``k`` channel symbols (same cbr), and ``C`` is the
decoder output, the reconstruction.

Two independently initialised encoders agree on nothing but the symbols' power, so asking
the student's ``S`` to *equal* its mentor's pulls the one shared student towards nine
different codes. Eq. 19 does not say how features of two architectures are compared; the
paper's encoders (a ViT and a ResNet-18) do not even share a shape. ``symbol_map`` is
the usual answer of feature distillation (FitNets' regressor, Romero et al. 2015): a
client-local linear map ``P`` from the student's symbols to its mentor's, trained with the
student's term — ``MSE(S', P(S))`` — so the student has to carry the mentor's
information, not copy its code. ``None`` compares the symbols directly (``psfl.symbol_map =
"identity"``; PSFL's default is ``linear``, measured in docs/benchmarks.md).

Example:
    >>> import torch
    >>> from semcom import create_channel, create_codec
    >>> mentor = create_codec("vitjscc", size="gsc-m")
    >>> student = create_codec("csc")
    >>> clf = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 32 * 32, 10))
    >>> x, y = torch.rand(4, 3, 32, 32), torch.tensor([0, 1, 2, 3])
    >>> ch = create_channel("awgn")
    >>> losses = pld_losses(x, y, mentor(x, ch, 10.0), student(x, ch, 10.0), clf)
    >>> sorted(losses.logs)
    ['mentor_dis', 'mentor_sem', 'mentor_task', 'student_dis', 'student_sem', 'student_task']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["PLDLosses", "SymbolMap", "pld_losses"]

_EPS = 1e-8


@dataclass
class PLDLosses:
    """The two totals to minimise (Eqs. 20-21) and every term as a float for logging."""

    mentor_total: torch.Tensor
    student_total: torch.Tensor
    logs: dict[str, float]


def _task(
    out: Mapping[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor, clf: nn.Module
) -> tuple[torch.Tensor, torch.Tensor]:
    """Eqs. 15-16: CE on the reconstruction's prediction + pixel MSE; and the logits."""
    logits: torch.Tensor = clf(out["x_hat"])
    return F.cross_entropy(logits, y) + F.mse_loss(out["x_hat"], x), logits


def _kl(target_logits: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """KL(p_target || p) per batch, the target fixed."""
    return F.kl_div(
        F.log_softmax(logits, 1),
        F.log_softmax(target_logits.detach(), 1),
        log_target=True,
        reduction="batchmean",
    )


def _symbols(out: Mapping[str, torch.Tensor]) -> torch.Tensor:
    return torch.view_as_real(out["symbols"]).flatten(1)


class SymbolMap(nn.Module):
    """A client's linear map from the student's channel symbols to its mentor's.

    Starts at the identity (Eq. 19 as printed) and learns from the student's semantic
    term; it stays on the client with the mentor and is never uploaded.

    Args:
        k: channel symbols per image (both models share the cbr).

    Shapes: ``[B, 2k] float32`` (real and imaginary parts) in and out.
    """

    def __init__(self, k: int) -> None:
        super().__init__()
        self.linear = nn.Linear(2 * k, 2 * k)
        with torch.no_grad():
            self.linear.weight.copy_(torch.eye(2 * k))
            self.linear.bias.zero_()

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.linear(s)
        return out


def pld_losses(
    x: torch.Tensor,
    labels: torch.Tensor,
    mentor_out: Mapping[str, torch.Tensor],
    student_out: Mapping[str, torch.Tensor],
    classifier: nn.Module,
    distillation_weight: float = 1.0,
    semantic_weight: float = 1.0,
    symbol_map: nn.Module | None = None,
    student_distillation_weight: float | None = None,
) -> PLDLosses:
    """Eqs. 15-21 for one batch.

    Args:
        x: images ``[B, C, H, W] float32`` in [0, 1].
        labels: classes ``[B] int64``.
        mentor_out, student_out: each model's ``Codec.forward`` output (``x_hat``
            ``[B, C, H, W]``, ``symbols`` ``[B, k] complex64``) for ``x``.
        classifier: the frozen task classifier, images -> logits ``[B, classes]``.
        distillation_weight, semantic_weight: factors on the distillation and semantic
            terms in the totals (1 and 1: Eqs. 20-21 as printed).
        symbol_map: the client's :class:`SymbolMap` (student symbols ``[B, 2k]`` ->
            mentor's), or ``None`` to compare the symbols as they are. Its gradients come
            from the student's total.
        student_distillation_weight: factor on Eq. 18 alone (the student's distillation
            from its mentor); ``None``: ``distillation_weight``.

    Returns:
        :class:`PLDLosses`; ``mentor_total`` has gradients only into the mentor,
        ``student_total`` only into the student (and ``symbol_map``).
    """
    task_m, logits_m = _task(mentor_out, x, labels, classifier)
    task_s, logits_s = _task(student_out, x, labels, classifier)
    w_m, w_s = task_m.detach(), task_s.detach()
    dis_m = _kl(logits_s, logits_m) / (w_s + _EPS)  # Eq. 17
    dis_s = _kl(logits_m, logits_s) / (w_m + _EPS)  # Eq. 18
    denom = w_m + w_s + _EPS
    sym_m, sym_s = _symbols(mentor_out), _symbols(student_out)
    if symbol_map is not None:
        sym_s = symbol_map(sym_s)
    rec_m, rec_s = mentor_out["x_hat"], student_out["x_hat"]
    sem_m = (F.mse_loss(sym_m, sym_s.detach()) + F.mse_loss(rec_m, rec_s.detach())) / denom
    sem_s = (F.mse_loss(sym_s, sym_m.detach()) + F.mse_loss(rec_s, rec_m.detach())) / denom
    logs = {
        "mentor_task": float(w_m),
        "student_task": float(w_s),
        "mentor_dis": float(dis_m.detach()),
        "student_dis": float(dis_s.detach()),
        "mentor_sem": float(sem_m.detach()),
        "student_sem": float(sem_s.detach()),
    }
    a, b = distillation_weight, semantic_weight
    a_s = a if student_distillation_weight is None else student_distillation_weight
    return PLDLosses(task_m + a * dis_m + b * sem_m, task_s + a_s * dis_s + b * sem_s, logs)
