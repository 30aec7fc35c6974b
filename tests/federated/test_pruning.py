"""AGP: Eq. 22, pruning the weights closest to zero on each side, random regrowth."""

from __future__ import annotations

import pytest
import torch

from semcom.errors import SemcomError
from semcom.federated.pruning import (
    agp_ratio,
    apply_masks,
    kept_values,
    pruned_fraction,
    restore_values,
    update_masks,
)


def _weights() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return {
        "conv.weight": torch.randn(16, 8, 3, 3, generator=g),
        "conv.bias": torch.randn(16, generator=g),
        "fc.weight": torch.randn(10, 32, generator=g),
    }


def test_eq22_follows_the_mean_snr() -> None:
    assert agp_ratio(torch.tensor([25.0, 25.0]), 0.0, 25.0) == 0.0
    assert agp_ratio(torch.tensor([10.0, 15.0]), 0.0, 25.0) == pytest.approx(0.5)
    assert agp_ratio(torch.tensor([0.0]), 0.0, 25.0) == 0.9  # capped
    assert agp_ratio(torch.tensor([0.0]), 0.0, 25.0, max_ratio=0.5) == 0.5
    with pytest.raises(SemcomError, match=r"\[0, 1\)"):
        agp_ratio(torch.tensor([0.0]), 0.0, 25.0, max_ratio=1.0)


def test_pruning_removes_the_weights_closest_to_zero_on_each_side() -> None:
    w = _weights()
    masks = update_masks(w, None, 0.4, torch.Generator().manual_seed(0))
    assert set(masks) == {"conv.weight", "fc.weight"}  # biases stay dense
    assert pruned_fraction(masks) == pytest.approx(0.4, abs=1e-3)
    flat = torch.cat([w[n].reshape(-1) for n in masks])
    kept = torch.cat([masks[n].reshape(-1) for n in masks])
    for side in (flat > 0, flat < 0):
        gone, stay = flat[side & ~kept].abs(), flat[side & kept].abs()
        assert float(gone.max()) <= float(stay.min())  # the smallest magnitudes go
        assert float((side & ~kept).sum()) / float(side.sum()) == pytest.approx(0.4, abs=0.01)
    pruned = apply_masks(w, masks)
    assert torch.equal(pruned["conv.bias"], w["conv.bias"])
    assert int((pruned["fc.weight"] == 0).sum()) == int((~masks["fc.weight"]).sum())


def test_a_falling_ratio_regrows_at_random_and_a_rising_one_prunes_more() -> None:
    w = _weights()
    g = torch.Generator().manual_seed(0)
    m1 = update_masks(w, None, 0.6, g)
    m2 = update_masks(w, m1, 0.3, g)
    assert pruned_fraction(m2) == pytest.approx(0.3, abs=1e-3)
    for n in m1:
        assert bool((m1[n] <= m2[n]).all())  # only regrowth, nothing newly pruned
    regrown = torch.cat([(m2[n] & ~m1[n]).reshape(-1) for n in m1])
    flat = torch.cat([w[n].reshape(-1) for n in m1]).abs()
    # random, not by magnitude: some regrown weights are smaller than some still pruned
    still = torch.cat([(~m2[n]).reshape(-1) for n in m1])
    assert float(flat[regrown].min()) < float(flat[still].max())
    m3 = update_masks(apply_masks(w, m2), m2, 0.5, g)
    assert pruned_fraction(m3) == pytest.approx(0.5, abs=1e-3)
    for n in m1:
        assert bool((m3[n] <= m2[n]).all())  # only pruning


def test_upload_is_the_kept_values_and_round_trips() -> None:
    w = _weights()
    masks = update_masks(w, None, 0.5, torch.Generator().manual_seed(0))
    pruned = apply_masks(w, masks)
    up = kept_values(pruned, masks)
    assert up["fc.weight"].numel() == int(masks["fc.weight"].sum())
    back = restore_values(up, masks, w)
    for n in w:
        assert torch.equal(back[n], pruned[n])
    with pytest.raises(SemcomError, match="pruning ratio"):
        update_masks(w, None, 1.0, torch.Generator())
