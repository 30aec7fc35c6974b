"""PLD losses (paper 001 Eqs. 15-21): values, and each total trains only its own model."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from semcom import create_channel, create_codec
from semcom.federated.distillation import pld_losses


def _models() -> tuple[torch.nn.Module, torch.nn.Module, torch.nn.Module]:
    torch.manual_seed(0)
    mentor = create_codec("vitjscc", size="gsc-m", in_channels=1, image_size=(28, 28))
    student = create_codec("csc", in_channels=1, image_size=(28, 28))
    clf = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(28 * 28, 10))
    clf.requires_grad_(False)
    return mentor, student, clf


def test_each_total_reaches_only_its_own_model() -> None:
    mentor, student, clf = _models()
    x, y = torch.rand(4, 1, 28, 28), torch.tensor([0, 1, 2, 3])
    ch = create_channel("awgn")
    g = torch.Generator().manual_seed(0)
    losses = pld_losses(x, y, mentor(x, ch, 10.0, g), student(x, ch, 10.0, g), clf)
    losses.student_total.backward()
    assert all(p.grad is None for p in mentor.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in student.parameters())
    student.zero_grad()
    losses.mentor_total.backward()
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in student.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in mentor.parameters())


def test_the_terms_follow_eqs_15_to_21() -> None:
    _, _, clf = _models()
    x, y = torch.rand(3, 1, 28, 28), torch.tensor([4, 5, 6])
    g = torch.Generator().manual_seed(1)
    out_m = {"x_hat": torch.rand(3, 1, 28, 28), "symbols": torch.randn(3, 8, generator=g) + 0j}
    out_s = {"x_hat": torch.rand(3, 1, 28, 28), "symbols": torch.randn(3, 8, generator=g) + 0j}
    got = pld_losses(x, y, out_m, out_s, clf)
    lm, ls = clf(out_m["x_hat"]), clf(out_s["x_hat"])
    task_m = F.cross_entropy(lm, y) + F.mse_loss(out_m["x_hat"], x)
    task_s = F.cross_entropy(ls, y) + F.mse_loss(out_s["x_hat"], x)
    kl_s = (F.softmax(lm, 1) * (F.log_softmax(lm, 1) - F.log_softmax(ls, 1))).sum(1).mean()
    sem = (
        F.mse_loss(torch.view_as_real(out_m["symbols"]), torch.view_as_real(out_s["symbols"]))
        + F.mse_loss(out_m["x_hat"], out_s["x_hat"])
    ) / (task_m + task_s)
    assert got.logs["mentor_task"] == pytest.approx(float(task_m), rel=1e-5)
    assert got.logs["student_dis"] == pytest.approx(float(kl_s / task_m), rel=1e-4)
    assert got.logs["student_sem"] == pytest.approx(float(sem), rel=1e-4)
    assert got.logs["mentor_sem"] == pytest.approx(float(sem), rel=1e-4)  # Eq. 19: equal
    total = float(task_s) + got.logs["student_dis"] + got.logs["student_sem"]
    assert float(got.student_total) == pytest.approx(total, rel=1e-5)
    weighted = pld_losses(x, y, out_m, out_s, clf, distillation_weight=0.5, semantic_weight=0.0)
    total = float(task_s) + 0.5 * got.logs["student_dis"]
    assert float(weighted.student_total) == pytest.approx(total, rel=1e-5)
    total = float(task_m) + 0.5 * got.logs["mentor_dis"]
    assert float(weighted.mentor_total) == pytest.approx(total, rel=1e-5)
    one_way = pld_losses(
        x, y, out_m, out_s, clf, semantic_weight=0.0, student_distillation_weight=0.0
    )
    assert float(one_way.student_total) == pytest.approx(float(task_s), rel=1e-6)  # no Eq. 18
    total = float(task_m) + got.logs["mentor_dis"]  # Eq. 17 kept
    assert float(one_way.mentor_total) == pytest.approx(total, rel=1e-5)


def test_identical_models_have_no_distillation_or_semantic_loss() -> None:
    _, _, clf = _models()
    x, y = torch.rand(2, 1, 28, 28), torch.tensor([1, 2])
    out = {"x_hat": torch.rand(2, 1, 28, 28), "symbols": torch.randn(2, 8) + 0j}
    got = pld_losses(x, y, out, dict(out), clf)
    for key in ("mentor_dis", "student_dis", "mentor_sem", "student_sem"):
        assert got.logs[key] == pytest.approx(0.0, abs=1e-7)


def test_a_symbol_map_starts_at_eq_19_and_trains_with_the_student() -> None:
    from semcom.federated.distillation import SymbolMap

    mentor, student, clf = _models()
    x, y = torch.rand(4, 1, 28, 28), torch.tensor([0, 1, 2, 3])
    ch = create_channel("awgn")
    g = torch.Generator().manual_seed(0)
    out_m, out_s = mentor(x, ch, 10.0, g), student(x, ch, 10.0, g)
    k = out_s["symbols"].shape[1]
    plain = pld_losses(x, y, out_m, out_s, clf)
    smap = SymbolMap(k)
    mapped = pld_losses(x, y, out_m, out_s, clf, symbol_map=smap)
    assert mapped.logs["student_sem"] == pytest.approx(plain.logs["student_sem"], rel=1e-5)
    mapped.student_total.backward()
    assert smap.linear.weight.grad is not None
    assert smap.linear.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in mentor.parameters())
    smap.zero_grad()
    mapped = pld_losses(x, y, out_m, out_s, clf, symbol_map=smap)
    mapped.mentor_total.backward()
    assert smap.linear.weight.grad is None or smap.linear.weight.grad.abs().sum() == 0
    # a map that undoes the student's code makes the symbol term vanish
    s_m = torch.view_as_real(out_m["symbols"]).flatten(1).detach()
    s_s = torch.view_as_real(out_s["symbols"]).flatten(1).detach()
    with torch.no_grad():
        smap.linear.weight.copy_(torch.linalg.lstsq(s_s, s_m).solution.T)
        smap.linear.bias.zero_()
    fitted = pld_losses(x, y, out_m, out_s, clf, symbol_map=smap)
    only_rec = float(F.mse_loss(out_m["x_hat"], out_s["x_hat"]).detach()) / (
        plain.logs["mentor_task"] + plain.logs["student_task"]
    )
    assert fitted.logs["student_sem"] == pytest.approx(only_rec, rel=1e-3, abs=1e-6)
