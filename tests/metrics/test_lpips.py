"""AlexNet-LPIPS: properties, weight loading, and agreement with torchmetrics."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from semcom.errors import SemcomError
from semcom.metrics.lpips import (
    ALEXNET_FILE,
    LIN_FILE,
    AlexLPIPS,
    load_lpips,
    save_lpips_weights,
)


@pytest.fixture
def metric() -> AlexLPIPS:
    torch.manual_seed(0)
    m = AlexLPIPS()
    for i in range(5):  # LPIPS's linear weights are non-negative
        lin = getattr(m, f"lin{i}").model[1]
        lin.weight.data = lin.weight.data.abs()
    return m


def test_identical_is_zero_and_distance_is_symmetric(metric: AlexLPIPS) -> None:
    x, y = torch.rand(3, 3, 32, 32), torch.rand(3, 3, 32, 32)
    assert torch.equal(metric(x, x), torch.zeros(3))
    assert torch.allclose(metric(x, y), metric(y, x), atol=1e-6)
    assert (metric(x, y) > 0).all()


def test_more_noise_is_farther(metric: AlexLPIPS) -> None:
    torch.manual_seed(1)
    x = torch.nn.functional.interpolate(torch.rand(4, 3, 8, 8), size=64, mode="bilinear")
    noise = torch.randn_like(x)
    near = metric((x + 0.02 * noise).clamp(0, 1), x)
    far = metric((x + 0.2 * noise).clamp(0, 1), x)
    assert (far > near).all()


def test_greyscale_is_repeated(metric: AlexLPIPS) -> None:
    g, h = torch.rand(2, 1, 32, 32), torch.rand(2, 1, 32, 32)
    assert torch.allclose(metric(g, h), metric(g.expand(-1, 3, -1, -1), h.expand(-1, 3, -1, -1)))


def test_merged_file_and_standard_folder_load_the_same(metric: AlexLPIPS, tmp_path: Path) -> None:
    x, y = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    merged = save_lpips_weights(metric, tmp_path / "lpips_alex.pt")
    assert torch.equal(load_lpips(merged)(x, y), metric(x, y))
    folder = tmp_path / "cache"
    folder.mkdir()
    state = metric.state_dict()
    backbone = {k: v for k, v in state.items() if k.startswith("features.")}
    backbone["classifier.1.weight"] = torch.zeros(1)  # torchvision's file has more: ignored
    torch.save(backbone, folder / ALEXNET_FILE)
    torch.save({k: v for k, v in state.items() if k.startswith("lin")}, folder / LIN_FILE)
    assert torch.equal(load_lpips(folder)(x, y), metric(x, y))


def test_missing_weights_say_where_to_put_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SEMCOM_LPIPS_WEIGHTS", raising=False)
    with pytest.raises(SemcomError, match=r"no LPIPS weights at .*alexnet-owt-7be5be79\.pth"):
        load_lpips(tmp_path / "nowhere")
    incomplete = tmp_path / "part.pt"
    torch.save({"features.0.weight": torch.zeros(64, 3, 11, 11)}, incomplete)
    with pytest.raises(SemcomError, match="LPIPS weights lack"):
        load_lpips(incomplete)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a torch file")
    with pytest.raises(SemcomError, match="cannot read LPIPS weights"):
        load_lpips(junk)


@pytest.mark.torchvision
def test_matches_torchmetrics_on_identical_weights(metric: AlexLPIPS) -> None:
    """Needs torchvision + torchmetrics' LPIPS (e.g. a GPU machine's stock image)."""
    pytest.importorskip("torchvision", reason="torchvision not installed")
    from torchmetrics.functional.image.lpips import _LPIPS

    theirs = _LPIPS(pretrained=False, net="alex", pnet_rand=True).eval()
    ours = [m for m in metric.features if isinstance(m, torch.nn.Conv2d)]
    their_convs = [m for m in theirs.net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(ours) == len(their_convs) == 5
    for a, b in zip(ours, their_convs, strict=True):
        b.weight.data.copy_(a.weight.data)
        b.bias.data.copy_(a.bias.data)
    for i in range(5):
        theirs.lins[i].model[-1].weight.data.copy_(getattr(metric, f"lin{i}").model[1].weight.data)
    for size in (32, 64):
        x, y = torch.rand(4, 3, size, size), torch.rand(4, 3, size, size)
        expected = theirs(x, y, normalize=True).flatten()
        assert torch.allclose(metric(x, y), expected, atol=1e-5)
