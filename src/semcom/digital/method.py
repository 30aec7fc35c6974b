"""Separate source and channel coding baselines, named like ``digital:jpeg+ldpc+qam``.

* ``digital:<codec>+ldpc[R]+qam[M]`` — image codec + 5G LDPC of rate ``R`` (default 1/2)
  + ``M``-QAM (default 4, as in paper 003) through semcom's channels
  (:mod:`semcom.digital.phy`), e.g. ``digital:jpeg+ldpc+qam``,
  ``digital:webp+ldpc2/3+qam16``.
* ``digital:<codec>+capacity`` — the ideal reference: ``floor(k * log2(1 + SNR))`` bits
  per image delivered without error (the "BPG + capacity" curve of the DeepJSCC and
  WITT papers).

``<codec>`` is ``jpeg``, ``jpeg2000`` or ``webp`` (:mod:`semcom.digital.image_codecs`).

Per image the transmitter picks the best quality whose frame fits the budget. The frame
is ``[quality: 8 bits][payload length: 16 bits][payload][zero padding]``; with the CRCs
(24 bits per codeword) everything except the codec headers the receiver rebuilds is
counted (the capacity reference counts the quality byte and the payload). The receiver
shows the **per-channel mean image** of the evaluated data (a constant it is assumed to
know) when any codeword's CRC fails, when the payload does not decode, or when no quality
fits the budget at all.

Example:
    >>> import numpy as np
    >>> from semcom import create_channel
    >>> from semcom.digital import parse_digital_method
    >>> method = parse_digital_method("digital:jpeg+ldpc+qam")
    >>> method.label, method.budget_bytes(512, 10.0)
    ('digital:jpeg+ldpc1/2+qam4', 58)
    >>> images = np.full((2, 32, 32, 3), 100, dtype=np.uint8)
    >>> out = method.transmit(images, create_channel("awgn"), 20.0, None)
    >>> out.delivered.tolist(), out.images.shape
    ([True, True], (2, 32, 32, 3))
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import torch

from semcom.channels.base import Channel
from semcom.digital.image_codecs import IMAGE_CODECS, ImageCodec, create_image_codec
from semcom.errors import SemcomError

PREFIX = "digital:"
QUALITY_BITS = 8
LENGTH_BITS = 16
_SPEC = re.compile(
    r"^digital:(?P<codec>[a-z0-9]+)\+(?:(?P<capacity>capacity)|"
    r"ldpc(?P<rate>\d+/\d+|0?\.\d+)?\+qam(?P<qam>\d+)?)$"
)


def is_digital_method(text: str) -> bool:
    """Whether ``text`` names a digital baseline (starts with ``digital:``)."""
    return text.startswith(PREFIX)


@dataclass
class DigitalResult:
    """What the receiver shows for a batch.

    Attributes:
        images: ``[N, H, W, C] uint8`` reconstructions (the mean image where not delivered).
        delivered: ``[N] bool``, the image's own bitstream was decoded.
        fits: ``[N] bool``, some quality fitted the budget.
        smallest_bytes: smallest payload over the images (bytes), for messages.
    """

    images: np.ndarray
    delivered: np.ndarray
    fits: np.ndarray
    smallest_bytes: int


@dataclass
class DigitalMethod:
    """One digital baseline; build with :func:`parse_digital_method`.

    Attributes:
        codec: the image codec.
        capacity: ideal error-free reference instead of LDPC + QAM.
        rate: LDPC code rate.
        qam: constellation size M.
    """

    codec: ImageCodec
    capacity: bool
    rate: Fraction
    qam: int

    @property
    def label(self) -> str:
        """Canonical name, e.g. ``digital:jpeg+ldpc1/2+qam4``."""
        if self.capacity:
            return f"{PREFIX}{self.codec.name}+capacity"
        return f"{PREFIX}{self.codec.name}+ldpc{self.rate}+qam{self.qam}"

    @property
    def bits_per_symbol(self) -> int:
        return int(math.log2(self.qam))

    def _phy(self, channel_uses: int) -> object:
        from semcom.digital.phy import CodedModulation

        return CodedModulation(channel_uses, float(self.rate), self.bits_per_symbol)

    def budget_bytes(self, channel_uses: int, snr_db: float) -> int:
        """Payload bytes available per image of ``channel_uses`` symbols at ``snr_db``."""
        if self.capacity:
            bits = math.floor(channel_uses * math.log2(1 + 10 ** (snr_db / 10)))
            return max(0, (bits - QUALITY_BITS) // 8)
        from semcom.digital.phy import CodedModulation

        phy = self._phy(channel_uses)
        assert isinstance(phy, CodedModulation)
        return max(0, (phy.frame_bits - QUALITY_BITS - LENGTH_BITS) // 8)

    def transmit(
        self,
        images: np.ndarray,
        channel: Channel,
        snr_db: float,
        generator: torch.Generator | None,
        *,
        cbr: float = 1 / 6,
        mean_image: np.ndarray | None = None,
    ) -> DigitalResult:
        """Send ``images`` (``[N, H, W, C] uint8``) with ``k = round(cbr * C*H*W)`` channel
        uses each over ``channel`` at ``snr_db`` (dB).

        ``mean_image``: ``[C]`` or ``[H, W, C]`` shown where an image is not delivered
        (default: the per-channel mean of ``images``).
        """
        n, h, w, c = images.shape
        k = round(cbr * c * h * w)
        if k < 1:
            raise SemcomError(f"cbr {cbr:g} gives no channel use for {c}x{h}x{w} images")
        shape = (h, w, c)
        if mean_image is None:
            mean_image = images.reshape(-1, c).mean(axis=0)
        fallback = np.broadcast_to(np.asarray(mean_image), shape).round().astype(np.uint8)
        budget = self.budget_bytes(k, snr_db)
        chosen = [self.codec.best_fit(img, budget) for img in images]
        fits = np.array([ch is not None for ch in chosen], dtype=bool)
        smallest = min(self.codec.smallest(img) for img in images) if n else 0
        out = np.repeat(fallback[None], n, axis=0)
        delivered = np.zeros(n, dtype=bool)
        if self.capacity:
            for i, ch in enumerate(chosen):
                if ch is not None:
                    decoded = self.codec.restore(ch[1], ch[0], shape)
                    if decoded is not None:
                        out[i], delivered[i] = decoded, True
            return DigitalResult(out, delivered, fits, smallest)
        from semcom.digital.phy import CodedModulation

        phy = self._phy(k)
        assert isinstance(phy, CodedModulation)
        frames = np.zeros((n, phy.frame_bits), dtype=np.float32)
        for i, ch in enumerate(chosen):
            if ch is not None:
                frames[i] = _frame_bits(ch[0], ch[1], phy.frame_bits)
        rx, ok = phy.transmit(torch.from_numpy(frames), channel, snr_db, generator)
        rx_np, ok_np = rx.numpy(), ok.numpy()
        for i in range(n):
            if not (fits[i] and ok_np[i]):
                continue
            q, payload = _unframe(rx_np[i])
            if payload is None:
                continue
            decoded = self.codec.restore(payload, q, shape)
            if decoded is not None:
                out[i], delivered[i] = decoded, True
        return DigitalResult(out, delivered, fits, smallest)


def _frame_bits(q: int, payload: bytes, n_bits: int) -> np.ndarray:
    """``[n_bits] float32``: quality byte, 16-bit length, payload, zero padding."""
    header = q.to_bytes(1, "big") + len(payload).to_bytes(2, "big")
    bits = np.unpackbits(np.frombuffer(header + payload, dtype=np.uint8)).astype(np.float32)
    return np.pad(bits, (0, n_bits - bits.size))


def _unframe(bits: np.ndarray) -> tuple[int, bytes | None]:
    data = np.packbits(bits.round().astype(np.uint8)).tobytes()
    q, length = data[0], int.from_bytes(data[1:3], "big")
    if 3 + length > len(data):
        return q, None
    return q, data[3 : 3 + length]


def parse_digital_method(text: str) -> DigitalMethod:
    """``"digital:jpeg+ldpc+qam"`` (and variants, module docstring) -> a method.

    Raises:
        SemcomError: a malformed name, an unknown image codec, a rate outside 5G's
        [0.2, 0.95], or a QAM size that is not 4, 16, 64, 256 ...
    """
    m = _SPEC.match(text.strip().lower())
    choices = ", ".join(IMAGE_CODECS)
    if not m:
        raise SemcomError(
            f"cannot parse digital method {text!r}; write digital:CODEC+ldpc+qam "
            f"(optionally ldpc2/3, qam16) or digital:CODEC+capacity, CODEC one of: {choices}"
        )
    codec = create_image_codec(m["codec"])
    if m["capacity"]:
        return DigitalMethod(codec, True, Fraction(1), 0)
    rate = Fraction(m["rate"]).limit_denominator(100) if m["rate"] else Fraction(1, 2)
    qam = int(m["qam"]) if m["qam"] else 4
    if not 0.2 <= rate <= 0.95:
        raise SemcomError(f"LDPC code rate must be in [0.2, 0.95] (5G NR), got {rate}")
    bits = math.log2(qam) if qam > 0 else 0.0
    if bits < 2 or bits != int(bits) or int(bits) % 2:
        raise SemcomError(f"QAM size must be 4, 16, 64, 256 or 1024, got {qam}")
    return DigitalMethod(codec, False, rate, qam)
