"""Multi-user uplink: ``K`` single-antenna users to an ``M``-antenna receiver.

Each user ``i`` is received with power ``p_i = 10 ** (snr_i / 10)`` over unit-variance
noise per antenna: ``Y = H diag(sqrt p) X + N``, ``N ~ CN(0, I)``. With
``G = H diag(sqrt p)``, the receiver (which knows ``G``) detects the users jointly:

* ZF: ``x_hat = (G^H G)^-1 G^H Y`` (needs ``M >= K``);
* MMSE: ``x_hat = (G^H G + I)^-1 G^H Y`` (any ``M >= 1``).

:func:`uplink` is the functional core; :class:`MultiUserMIMO` (``"mu-mimo"``) fits it
to the single-user :class:`~semcom.channels.base.Channel` contract by treating each
group of ``K`` consecutive examples of a batch as users transmitting at once.

Example:
    >>> import torch
    >>> from semcom.channels.multiuser import uplink, rayleigh_mimo
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.ones(2, 3, 4, dtype=torch.complex64)
    >>> h = rayleigh_mimo(2, 3, 3, "cpu", g)
    >>> x_hat, gain = uplink(x, torch.full((2, 3), 100.0), h, g, "zf")
    >>> torch.allclose(x_hat, x, atol=1e-2), gain.shape
    (True, torch.Size([2, 3]))
"""

from __future__ import annotations

import torch

from semcom.channels.base import Channel, complex_normal, snr_tensor
from semcom.errors import SemcomError
from semcom.registry import CHANNELS

#: Multi-user detectors accepted by :func:`uplink` and :class:`MultiUserMIMO`.
DETECTORS: tuple[str, ...] = ("zf", "mmse")

#: Channel matrices :class:`MultiUserMIMO` can use: i.i.d. Rayleigh, or none (``H = I``).
FADINGS: tuple[str, ...] = ("rayleigh", "none")


def _check_detector(detector: str, n_antennas: int, n_users: int) -> None:
    if detector not in DETECTORS:
        raise SemcomError(f"unknown detector {detector!r}; choose one of: {', '.join(DETECTORS)}")
    if detector == "zf" and n_antennas < n_users:
        raise SemcomError(
            f"zero-forcing needs at least as many antennas as users, got "
            f"{n_antennas} antennas for {n_users} users; add antennas or use detector='mmse'"
        )


def rayleigh_mimo(
    batch: int,
    n_antennas: int,
    n_users: int,
    device: torch.device | str = "cpu",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """I.i.d. Rayleigh block-fading uplink channel matrices.

    Args:
        batch: number of matrices ``B``.
        n_antennas: receive antennas ``M``.
        n_users: single-antenna users ``K``.
        device: where the matrices live.
        generator: source of randomness.

    Returns:
        ``[B, M, K] complex64``, entries i.i.d. CN(0, 1).

    Example:
        >>> rayleigh_mimo(4, 3, 2).shape
        torch.Size([4, 3, 2])
    """
    return complex_normal((batch, n_antennas, n_users), torch.device(device), generator)


def identity_mimo(
    batch: int, n_antennas: int, n_users: int, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """No fading: user ``i`` reaches antenna ``i`` only, with unit gain (``H = I``).

    Args:
        batch: number of matrices ``B``.
        n_antennas: receive antennas ``M`` (``>= K`` for every user to be heard).
        n_users: single-antenna users ``K``.
        device: where the matrices live.

    Returns:
        ``[B, M, K] complex64``: ``torch.eye(M, K)`` for every example (an expanded view).

    Example:
        >>> identity_mimo(2, 3, 3)[0].real
        tensor([[1., 0., 0.],
                [0., 1., 0.],
                [0., 0., 1.]])
    """
    eye = torch.eye(n_antennas, n_users, dtype=torch.complex64, device=torch.device(device))
    return eye.expand(batch, n_antennas, n_users)


def uplink(
    x: torch.Tensor,
    snr_db: float | torch.Tensor,
    h: torch.Tensor,
    generator: torch.Generator | None = None,
    detector: str = "zf",
    noise: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Send ``K`` users through ``h`` and detect them jointly (ZF or MMSE).

    Args:
        x: ``[B, K, k] complex64`` unit-power symbols, one row per user.
        snr_db: per-user received SNR in dB, ``[B, K] float32`` (or a float for all);
            user ``i`` is received with power ``10 ** (snr_db[:, i] / 10)``.
        h: ``[B, M, K] complex64`` channel matrices (e.g. :func:`rayleigh_mimo`).
        generator: source of randomness for the noise.
        detector: ``"zf"`` (needs ``M >= K``) or ``"mmse"``.
        noise: optional ``[B, M, k] complex64`` noise ``N`` to use instead of drawing
            ``CN(0, I)`` from ``generator`` (for tests and reproducible studies).

    Returns:
        ``(x_hat, gain)``: ``x_hat: [B, K, k] complex64`` detected symbols and
        ``gain: [B, K] complex64``, the diagonal of ``W G`` (``W`` the detector
        matrix), i.e. each user's effective gain after detection; ones for ZF.

    Gradients flow from ``x_hat`` to ``x`` (and to ``h``).

    Example:
        >>> import torch
        >>> x = torch.ones(1, 2, 3, dtype=torch.complex64)
        >>> h = torch.eye(2, dtype=torch.complex64).unsqueeze(0)
        >>> n = torch.zeros(1, 2, 3, dtype=torch.complex64)
        >>> x_hat, gain = uplink(x, 0.0, h, detector="mmse", noise=n)
        >>> x_hat[0, :, 0], gain
        (tensor([0.5000+0.j, 0.5000+0.j]), tensor([[0.5000+0.j, 0.5000+0.j]]))
    """
    if not torch.is_complex(x) or x.ndim != 3:
        raise SemcomError(f"uplink x must be [B, K, k] complex, got {list(x.shape)} {x.dtype}")
    b, n_users, k = x.shape
    if not torch.is_complex(h) or h.ndim != 3 or h.shape[0] != b or h.shape[2] != n_users:
        raise SemcomError(
            f"uplink h must be [{b}, M, {n_users}] complex, got {list(h.shape)} {h.dtype}"
        )
    n_antennas = h.shape[1]
    _check_detector(detector, n_antennas, n_users)
    snr = torch.as_tensor(snr_db, dtype=torch.float32, device=x.device)
    if snr.ndim == 0:
        snr = snr.expand(b, n_users)
    if snr.shape != (b, n_users):
        raise SemcomError(
            f"uplink snr_db must be a float or [{b}, {n_users}], got {list(snr.shape)}"
        )
    if noise is None:
        noise = complex_normal((b, n_antennas, k), x.device, generator)
    elif noise.shape != (b, n_antennas, k):
        raise SemcomError(f"uplink noise must be [{b}, {n_antennas}, {k}], got {list(noise.shape)}")

    amp = torch.pow(10.0, snr / 20.0).to(torch.complex64)  # sqrt(p), [B, K]
    g = h.to(torch.complex64) * amp.unsqueeze(1)  # [B, M, K]
    y = g @ x.to(torch.complex64) + noise.to(torch.complex64)  # [B, M, k]
    gh = g.mH  # [B, K, M]
    gram = gh @ g  # [B, K, K]
    if detector == "zf":
        x_hat = torch.linalg.solve(gram, gh @ y)
        gain = torch.ones(b, n_users, dtype=torch.complex64, device=x.device)
        return x_hat, gain
    eye = torch.eye(n_users, dtype=torch.complex64, device=x.device)
    # One solve for both W Y and W G, W = (G^H G + I)^-1 G^H.
    sol = torch.linalg.solve(gram + eye, torch.cat([gh @ y, gram], dim=-1))
    x_hat, wg = sol[..., :k], sol[..., k:]
    return x_hat, torch.diagonal(wg, dim1=-2, dim2=-1)


@CHANNELS.register("mu-mimo", summary="K-user uplink to an M-antenna receiver, ZF/MMSE")
class MultiUserMIMO(Channel):
    """Multi-user uplink fitted to the single-user channel contract.

    Consecutive groups of ``n_users`` examples of a batch transmit at the same time:
    example ``b`` is user ``b % K`` of group ``b // K``, received at its own SNR
    ``snr_db[b]`` (see :func:`uplink`). Each group sees its own i.i.d. Rayleigh
    matrix ``H: [M, K]`` (``fading="rayleigh"``, the default), or ``H = I``
    (``fading="none"``: user ``i`` reaches antenna ``i`` alone with unit gain, so with ZF
    each user sees exactly an AWGN channel at its SNR, and MMSE adds its bias
    ``p / (p + 1)``). If ``B`` is not a multiple of ``K`` the last group is padded with
    silent users (zero symbols at 0 dB) whose outputs are dropped.

    ``forward(x, snr_db, generator)``: ``x: [B, k] complex64``, ``snr_db`` float or
    ``[B] float32`` (dB) -> ``(y, csi)``, both ``[B, k] complex64``: ``y`` the detected
    symbols of each example, ``csi`` its user's ``gain`` repeated over ``k``.

    Args:
        n_users: users per group ``K`` (>= 1).
        n_antennas: receive antennas ``M`` (>= 1).
        detector: ``"zf"`` (needs ``M >= K``) or ``"mmse"``.
        fading: ``"rayleigh"`` (i.i.d. CN(0, 1) entries, a new ``H`` per group) or
            ``"none"`` (``H = I``, see :func:`identity_mimo`; needs ``M >= K``).

    Example:
        >>> import torch
        >>> ch = MultiUserMIMO(n_users=3, n_antennas=3, detector="mmse")
        >>> y, csi = ch(torch.ones(5, 4, dtype=torch.complex64), 10.0)
        >>> y.shape, csi.dtype
        (torch.Size([5, 4]), torch.complex64)
    """

    name = "mu-mimo"

    def __init__(
        self,
        n_users: int = 3,
        n_antennas: int = 3,
        detector: str = "zf",
        fading: str = "rayleigh",
    ) -> None:
        super().__init__()
        if n_users < 1 or n_antennas < 1:
            raise SemcomError(
                f"mu-mimo needs n_users >= 1 and n_antennas >= 1, got {n_users}, {n_antennas}"
            )
        _check_detector(detector, n_antennas, n_users)
        if fading not in FADINGS:
            raise SemcomError(f"unknown fading {fading!r}; choose one of: {', '.join(FADINGS)}")
        if fading == "none" and n_antennas < n_users:
            raise SemcomError(
                f"fading='none' gives each user its own antenna, so it needs at least as many "
                f"antennas as users, got {n_antennas} antennas for {n_users} users"
            )
        self.n_users = n_users
        self.n_antennas = n_antennas
        self.detector = detector
        self.fading = fading

    def transmit(
        self, x: torch.Tensor, snr_db: torch.Tensor, generator: torch.Generator | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``x: [B, k] complex64``, ``snr_db: [B] float32`` -> ``(y, csi)``, ``[B, k]``.

        Draws all groups' ``H`` first (``fading="rayleigh"``; none with ``"none"``), then
        the noise, from ``generator``.

        Example:
            >>> import torch
            >>> y, csi = MultiUserMIMO().transmit(
            ...     torch.ones(3, 2, dtype=torch.complex64), torch.full((3,), 100.0), None
            ... )
            >>> torch.allclose(y, torch.ones(3, 2, dtype=torch.complex64), atol=1e-2)
            True
        """
        b, k = x.shape
        n_users = self.n_users
        groups = -(-b // n_users)
        pad = groups * n_users - b
        snr = snr_tensor(snr_db, b, x.device)
        if pad:
            x = torch.cat([x, x.new_zeros(pad, k)])
            snr = torch.cat([snr, snr.new_zeros(pad)])
        if self.fading == "none":
            h = identity_mimo(groups, self.n_antennas, n_users, x.device)
        else:
            h = rayleigh_mimo(groups, self.n_antennas, n_users, x.device, generator)
        x_hat, gain = uplink(
            x.reshape(groups, n_users, k),
            snr.reshape(groups, n_users),
            h,
            generator,
            self.detector,
        )
        y = x_hat.reshape(groups * n_users, k)[:b]
        csi = gain.reshape(groups * n_users, 1)[:b].expand(b, k).contiguous()
        return y, csi

    def extra_repr(self) -> str:
        """Show the configuration in ``repr``."""
        return (
            f"n_users={self.n_users}, n_antennas={self.n_antennas}, "
            f"detector={self.detector!r}, fading={self.fading!r}"
        )
