"""LPIPS (Zhang et al., CVPR 2018), AlexNet variant, in plain PyTorch.

torchmetrics' LPIPS needs torchvision (a CUDA build of torch on x86_64, see DESIGN.md)
and downloads its weights; this one is the same network — AlexNet's five ReLU outputs,
unit-normalised over channels, squared differences weighted by LPIPS's learned 1x1
layers, averaged over space and summed over layers — loading the standard weights from a
local file. Lower is more similar; 0 for identical images.

Weights (nothing is downloaded): ``--lpips-weights PATH``, else ``$SEMCOM_LPIPS_WEIGHTS``,
else ``~/.cache/semcom/lpips``. ``PATH`` is either

* a folder holding torchvision's ``alexnet-owt-7be5be79.pth`` and the ``lpips``
  package's ``alex.pth`` (v0.1), or
* one file with both state dicts merged (``features.*`` and ``lin{0..4}.model.1.weight``),
  as :func:`save_lpips_weights` writes.

Example:
    >>> import torch
    >>> from semcom.metrics.lpips import AlexLPIPS
    >>> metric = AlexLPIPS()  # random weights: for shapes only
    >>> x = torch.rand(2, 3, 32, 32)
    >>> metric(x, x).tolist()
    [0.0, 0.0]
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from semcom.errors import SemcomError

ALEXNET_FILE = "alexnet-owt-7be5be79.pth"
LIN_FILE = "alex.pth"
#: Default folder searched for the weights.
CACHE_DIR = Path("~/.cache/semcom/lpips")
ENV_VAR = "SEMCOM_LPIPS_WEIGHTS"
#: LPIPS's input scaling (applied to images in [-1, 1]).
SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)
CHANNELS = (64, 192, 384, 256, 256)
EPS = 1e-10


def _alexnet_features() -> nn.Sequential:
    """torchvision's ``alexnet().features`` layer for layer (same state-dict keys)."""
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, 4, 2),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, 3, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(256, 256, 3, padding=1),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(3, 2),
    )


#: Indices of ``features`` after which LPIPS taps relu1 .. relu5.
TAPS = (1, 4, 7, 9, 11)


class _Lin(nn.Module):
    """LPIPS's per-layer weighting: (dropout,) 1x1 conv to one channel, no bias."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.model = nn.Sequential(nn.Dropout(), nn.Conv2d(channels, 1, 1, bias=False))


class AlexLPIPS(nn.Module):
    """LPIPS with the AlexNet backbone.

    ``forward(x_hat, x)``: two ``[B, 3, H, W] float32`` batches in [0, 1] (greyscale
    ``[B, 1, H, W]`` is repeated to RGB) -> ``[B] float32`` distances. Build with random
    weights, then :meth:`load` real ones (or use :func:`load_lpips`).
    """

    shift: torch.Tensor
    scale: torch.Tensor

    def __init__(self) -> None:
        super().__init__()
        self.features = _alexnet_features()
        for i, c in enumerate(CHANNELS):
            self.add_module(f"lin{i}", _Lin(c))
        self.register_buffer("shift", torch.tensor(SHIFT).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("scale", torch.tensor(SCALE).view(1, 3, 1, 1), persistent=False)
        self.eval().requires_grad_(False)

    def _taps(self, x: torch.Tensor) -> list[torch.Tensor]:
        outs = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in TAPS:
                outs.append(x)
            if i == TAPS[-1]:
                break
        return outs

    def forward(self, x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] == 1:
            x, x_hat = x.expand(-1, 3, -1, -1), x_hat.expand(-1, 3, -1, -1)
        a = self._taps(((x_hat * 2 - 1) - self.shift) / self.scale)
        b = self._taps(((x * 2 - 1) - self.shift) / self.scale)
        total = torch.zeros(x.shape[0], device=x.device)
        for i, (fa, fb) in enumerate(zip(a, b, strict=True)):
            na = fa / (fa.pow(2).sum(dim=1, keepdim=True).sqrt() + EPS)
            nb = fb / (fb.pow(2).sum(dim=1, keepdim=True).sqrt() + EPS)
            lin: _Lin = getattr(self, f"lin{i}")
            total = total + lin.model((na - nb).pow(2)).mean(dim=(1, 2, 3))
        return total

    def load(self, state: dict[str, torch.Tensor]) -> AlexLPIPS:
        """Load a merged state dict (``features.*`` and ``lin*.model.1.weight``)."""
        wanted = set(self.state_dict())
        missing = sorted(wanted - set(state))
        if missing:
            raise SemcomError(
                f"LPIPS weights lack {len(missing)} tensor(s), e.g. {missing[0]!r}; see "
                "docs/metrics.md for the files to use"
            )
        self.load_state_dict({k: state[k] for k in wanted})
        return self


def _torch_load(path: Path) -> dict[str, torch.Tensor]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # a truncated or foreign file
        raise SemcomError(f"cannot read LPIPS weights {path}: {e}") from None
    if not isinstance(state, dict):
        raise SemcomError(f"{path} does not hold a state dict")
    return state


def resolve_lpips_weights(path: str | Path | None = None) -> Path:
    """The weights location: ``path``, else ``$SEMCOM_LPIPS_WEIGHTS``, else the cache.

    Raises:
        SemcomError: nothing there (says where to put the files).
    """
    chosen = Path(path or os.environ.get(ENV_VAR) or CACHE_DIR).expanduser()
    if chosen.is_file():
        return chosen
    if chosen.is_dir() and (chosen / ALEXNET_FILE).is_file() and (chosen / LIN_FILE).is_file():
        return chosen
    raise SemcomError(
        f"no LPIPS weights at {chosen}: put torchvision's {ALEXNET_FILE} and the lpips "
        f"package's {LIN_FILE} there (or pass --lpips-weights PATH / set {ENV_VAR}); "
        "see docs/metrics.md"
    )


def load_lpips(path: str | Path | None = None, device: torch.device | str = "cpu") -> AlexLPIPS:
    """An :class:`AlexLPIPS` with the standard weights from ``path`` (see the module doc)."""
    where = resolve_lpips_weights(path)
    if where.is_file():
        state = _torch_load(where)
    else:
        backbone = _torch_load(where / ALEXNET_FILE)
        state = {k: v for k, v in backbone.items() if k.startswith("features.")}
        state.update(_torch_load(where / LIN_FILE))
    return AlexLPIPS().load(state).to(device)


def save_lpips_weights(metric: AlexLPIPS, path: str | Path) -> Path:
    """Write ``metric``'s weights as one merged file that :func:`load_lpips` reads."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    torch.save(metric.state_dict(), p)
    return p
