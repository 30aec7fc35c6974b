"""Rayleigh fading channels with perfect receiver CSI and ZF / MMSE equalisation.

``y_raw = h * x + n`` with ``h ~ CN(0, 1)`` and ``n ~ CN(0, 10 ** (-snr_db / 10))``;
the receiver knows ``h`` and equalises per symbol. Two variants share the code and
differ only in how ``h`` is drawn:

* ``rayleigh-block`` (:class:`RayleighBlock`): one coefficient per example, constant
  over its ``k`` symbols;
* ``rayleigh-fast`` (:class:`RayleighFast`): an independent coefficient per symbol.

Example:
    >>> import torch
    >>> from semcom.channels.rayleigh import RayleighBlock
    >>> x = torch.ones(2, 8, dtype=torch.complex64)
    >>> y, h = RayleighBlock(equalizer="zf")(x, 100.0, torch.Generator().manual_seed(0))
    >>> torch.allclose(y, x, atol=1e-3), bool((h == h[:, :1]).all())
    (True, True)
"""

from __future__ import annotations

from abc import abstractmethod

import torch

from semcom.channels.awgn import awgn_noise
from semcom.channels.base import Channel, complex_normal, noise_variance
from semcom.errors import SemcomError
from semcom.registry import CHANNELS

#: Equalisers accepted by the Rayleigh channels.
EQUALIZERS: tuple[str, ...] = ("mmse", "zf")


def check_equalizer(equalizer: str) -> str:
    """Return ``equalizer`` if it is one of :data:`EQUALIZERS`, else raise SemcomError.

    Example:
        >>> check_equalizer("zf")
        'zf'
    """
    if equalizer not in EQUALIZERS:
        raise SemcomError(
            f"unknown equalizer {equalizer!r}; choose one of: {', '.join(EQUALIZERS)}"
        )
    return equalizer


def equalize(
    y: torch.Tensor, h: torch.Tensor, noise_var: torch.Tensor, equalizer: str = "mmse"
) -> torch.Tensor:
    """Per-symbol equalisation of ``y = h * x + n`` with known ``h``.

    Args:
        y: ``[B, k] complex64`` received symbols.
        h: ``[B, k] complex64`` channel coefficients.
        noise_var: noise variance per complex symbol, ``[B, 1]`` (or broadcastable)
            float32, linear scale.
        equalizer: ``"mmse"``: ``conj(h) y / (|h|^2 + noise_var)``; ``"zf"``: ``y / h``.

    Returns:
        ``[B, k] complex64`` estimates of ``x``.

    Example:
        >>> import torch
        >>> h = torch.tensor([[2j]], dtype=torch.complex64)
        >>> equalize(h * 3, h, torch.tensor([[0.0]]), "zf")
        tensor([[3.+0.j]])
    """
    check_equalizer(equalizer)
    if equalizer == "zf":
        return y / h
    power = h.real.pow(2) + h.imag.pow(2)
    return h.conj() * y / (power + noise_var)


class RayleighChannel(Channel):
    """Shared Rayleigh fading logic; subclasses draw the coefficients.

    ``forward(x, snr_db, generator)``: ``x: [B, k] complex64``, ``snr_db`` float or
    ``[B] float32`` (dB) -> ``(y, csi)``, both ``[B, k] complex64``, where ``y`` is
    the equalised signal and ``csi = h`` the coefficient each symbol went through.

    Args:
        equalizer: ``"mmse"`` (default) or ``"zf"``; others raise SemcomError.

    Example:
        >>> import torch
        >>> ch = RayleighFast()
        >>> y, h = ch(torch.ones(1, 4, dtype=torch.complex64), 20.0)
        >>> y.shape, h.shape
        (torch.Size([1, 4]), torch.Size([1, 4]))
    """

    def __init__(self, equalizer: str = "mmse") -> None:
        super().__init__()
        self.equalizer = check_equalizer(equalizer)

    @abstractmethod
    def _coefficients(
        self, batch: int, k: int, device: torch.device, generator: torch.Generator | None
    ) -> torch.Tensor:
        """Draw the fading coefficients, ``[batch, k] complex64`` CN(0, 1)."""

    def transmit(
        self, x: torch.Tensor, snr_db: torch.Tensor, generator: torch.Generator | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``x: [B, k] complex64``, ``snr_db: [B] float32`` -> ``(y_eq, h)``, ``[B, k]``.

        Draws ``h`` first, then the noise, from ``generator``.

        Example:
            >>> import torch
            >>> y, h = RayleighBlock().transmit(
            ...     torch.ones(2, 3, dtype=torch.complex64), torch.zeros(2), None
            ... )
            >>> y.dtype, h.dtype
            (torch.complex64, torch.complex64)
        """
        b, k = x.shape
        h = self._coefficients(b, k, x.device, generator)
        y_raw = h * x + awgn_noise((b, k), snr_db, x.device, generator)
        y = equalize(y_raw, h, noise_variance(snr_db).unsqueeze(1), self.equalizer)
        return y, h

    def extra_repr(self) -> str:
        """Show the equaliser in ``repr``."""
        return f"equalizer={self.equalizer!r}"


@CHANNELS.register("rayleigh-block", summary="Rayleigh block fading, one h per example")
class RayleighBlock(RayleighChannel):
    """Rayleigh block fading: one ``h ~ CN(0, 1)`` per example, constant over ``k``.

    See :class:`RayleighChannel` for shapes; ``csi[b]`` is ``h_b`` repeated ``k`` times.

    Example:
        >>> import torch
        >>> _, h = RayleighBlock()(torch.ones(2, 5, dtype=torch.complex64), 10.0)
        >>> bool((h == h[:, :1]).all())
        True
    """

    name = "rayleigh-block"

    def _coefficients(
        self, batch: int, k: int, device: torch.device, generator: torch.Generator | None
    ) -> torch.Tensor:
        return complex_normal((batch, 1), device, generator).expand(batch, k).contiguous()


@CHANNELS.register("rayleigh-fast", summary="Rayleigh fast fading, one h per symbol")
class RayleighFast(RayleighChannel):
    """Rayleigh fast fading: an independent ``h ~ CN(0, 1)`` per symbol.

    See :class:`RayleighChannel` for shapes.

    Example:
        >>> import torch
        >>> y, h = RayleighFast("zf")(torch.ones(2, 5, dtype=torch.complex64), 10.0)
        >>> h.shape
        torch.Size([2, 5])
    """

    name = "rayleigh-fast"

    def _coefficients(
        self, batch: int, k: int, device: torch.device, generator: torch.Generator | None
    ) -> torch.Tensor:
        return complex_normal((batch, k), device, generator)
