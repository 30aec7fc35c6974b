"""Device selection: ``auto`` picks CUDA when present, else CPU.

Example:
    >>> from semcom.device import resolve_device
    >>> resolve_device("cpu")
    device(type='cpu')
"""

from __future__ import annotations

import torch

from semcom.errors import SemcomError


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    """Turn ``auto`` / ``cpu`` / ``cuda`` / ``cuda:N`` into a ``torch.device``."""
    if isinstance(name, torch.device):
        return name
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise SemcomError(f"device {name!r} asked for, but no CUDA device is available")
        return torch.device(name)
    if name == "cpu":
        return torch.device("cpu")
    raise SemcomError(f"unknown device {name!r}; choose one of: auto, cpu, cuda")


def autocast(device: torch.device, precision: str) -> torch.autocast:
    """The autocast context for ``precision`` (``"fp32"``: disabled; ``"bf16"``: bfloat16).

    Example:
        >>> import torch
        >>> with autocast(torch.device("cpu"), "bf16"):
        ...     y = torch.nn.Linear(4, 2)(torch.rand(3, 4))
        >>> y.dtype
        torch.bfloat16
    """
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")
