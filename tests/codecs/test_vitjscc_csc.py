"""ViT GSC sizes and the ResNet-18 CSC (the registry tests cover the contract)."""

from __future__ import annotations

import pytest
import torch

from semcom import create_codec
from semcom.codecs.vitjscc import sincos_positions
from semcom.errors import SemcomError


def parameters(name: str, **options: object) -> int:
    return sum(p.numel() for p in create_codec(name, **options).parameters())


def test_sizes_keep_the_paper_ratios() -> None:
    """Paper 001: GSC-M : GSC-L : GSC-H = 112 : 330 : 658 (1 : 2.9 : 5.9); CSC : GSC-M =
    54.7 : 112.4 (about 1 : 2)."""
    m = parameters("vitjscc", size="gsc-m")
    assert 2.7 < parameters("vitjscc", size="gsc-l") / m < 3.3
    assert 5.5 < parameters("vitjscc", size="gsc-h") / m < 6.5
    assert 0.44 < parameters("csc") / m < 0.55


def test_csc_is_a_resnet18() -> None:
    codec = create_codec("csc")
    convs = [m for m in codec.encoder.modules() if isinstance(m, torch.nn.Conv2d)]
    # stem + 8 basic blocks x 2 + 3 projection shortcuts + the 1x1 channel coder
    assert len(convs) == 1 + 16 + 3 + 1
    deconvs = [m for m in codec.decoder.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert len(deconvs) == 3


def test_positions_are_distinct_and_bounded() -> None:
    pos = sincos_positions(4, 6, 64)
    assert pos.shape == (24, 64)
    assert pos.abs().max() <= 1
    assert torch.cdist(pos, pos).add(torch.eye(24)).min() > 0.1


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("vitjscc", {"size": "gsc-xl"}, "unknown size 'gsc-xl'; choose one of: gsc-m, gsc-l"),
        ("csc", {"width": 12}, "width must be a positive multiple of 8"),
    ],
)
def test_bad_construction(name: str, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(SemcomError, match=message):
        create_codec(name, **kwargs)


def test_narrow_mentors_keep_the_size_ratios() -> None:
    def count(**kw: object) -> int:
        m = create_codec("vitjscc", in_channels=1, image_size=(28, 28), **kw)
        return sum(p.numel() for p in m.parameters())

    full = [count(size=s) for s in ("gsc-m", "gsc-l", "gsc-h")]
    half = [count(size=s, narrow=2) for s in ("gsc-m", "gsc-l", "gsc-h")]
    assert half[0] < full[0] / 3
    for f, h in zip(full[1:], half[1:], strict=True):
        assert abs(h / half[0] - f / full[0]) < 0.3 * (f / full[0])
    m = create_codec("vitjscc", size="gsc-m", narrow=2)
    assert m.config()["narrow"] == 2
    with pytest.raises(SemcomError, match="narrow must be 1, 2 or 4"):
        create_codec("vitjscc", narrow=3)
