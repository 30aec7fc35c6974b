"""The digital physical layer: CRC + 5G LDPC + QAM from Sionna PHY, over semcom's channels.

Every image gets the same number of complex channel uses ``k`` as a learned codec, i.e.
``n = k * bits_per_symbol`` coded bits, cut into codewords of at most
:data:`MAX_CODEWORD_BITS`. Each codeword carries ``round(n_cw * rate) - 24`` frame bits
and a CRC-24A (5G) over them; 5G NR LDPC (38.212, with rate matching) encodes them, and
Gray-mapped QAM puts them on the channel. The symbols go through the same
:class:`~semcom.channels.base.Channel` (same SNR definition) as the learned codecs. The
receiver undoes the equalisation bias (MMSE), computes per-bit LLRs with the exact (APP)
demapper at the per-symbol noise variance, runs belief propagation (20 iterations) and
checks each CRC.

Sionna decodes every codeword of a batch of images at once.
"""

from __future__ import annotations

import math

import torch

from semcom.channels.base import Channel, noise_variance
from semcom.errors import SemcomError

#: Longest codeword in coded bits (5G NR BG1 supports up to 8448 information bits).
MAX_CODEWORD_BITS = 8192
CRC = "CRC24A"
CRC_BITS = 24
LDPC_ITERATIONS = 20


def effective_symbols(
    channel: Channel, y: torch.Tensor, csi: torch.Tensor, snr_db: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Unbiased symbol estimates and their noise variance for demapping.

    ``y``, ``csi``: ``[B, k] complex64`` from ``channel.transmit``; ``snr_db [B]``.
    Returns ``(x_est [B, k] complex64, noise_var [B, k] float32)``: ``x_est = x + e`` with
    ``e`` of variance ``noise_var``. AWGN: ``y`` itself, ``10^(-snr/10)``. Rayleigh (ZF or
    MMSE equalised, ``csi = h``): ``y / h`` in effect, ``10^(-snr/10) / |h|^2``.
    """
    no = noise_variance(snr_db).unsqueeze(1).expand(y.shape)
    name = getattr(channel, "name", type(channel).__name__)
    if name == "awgn":
        return y, no
    if name in ("rayleigh-block", "rayleigh-fast"):
        power = csi.abs().pow(2).clamp_min(1e-12)
        if getattr(channel, "equalizer", "mmse") == "mmse":
            y = y * (power + no) / power
        return y, no / power
    raise SemcomError(
        f"the digital baseline supports the awgn, rayleigh-block and rayleigh-fast channels, "
        f"not {name!r}"
    )


class CodedModulation:
    """CRC + LDPC + QAM for ``n_bits`` coded bits per image.

    Args:
        channel_uses: complex symbols per image ``k``.
        rate: LDPC code rate (0.2 .. 0.95; 5G limits).
        bits_per_symbol: 2 (4-QAM), 4 (16-QAM), 6 (64-QAM), ...
    """

    def __init__(self, channel_uses: int, rate: float, bits_per_symbol: int) -> None:
        from sionna.phy.fec.crc import CRCDecoder, CRCEncoder
        from sionna.phy.fec.ldpc import LDPC5GDecoder, LDPC5GEncoder
        from sionna.phy.mapping import Demapper, Mapper

        if bits_per_symbol < 2 or bits_per_symbol % 2:
            raise SemcomError(f"QAM needs an even number of bits per symbol, got {bits_per_symbol}")
        if not 0.2 <= rate <= 0.95:
            raise SemcomError(f"LDPC code rate must be in [0.2, 0.95] (5G NR), got {rate:g}")
        n_total = channel_uses * bits_per_symbol
        self.codewords = max(1, math.ceil(n_total / MAX_CODEWORD_BITS))
        n_cw = (n_total // self.codewords) // bits_per_symbol * bits_per_symbol
        k_cw = round(n_cw * rate)
        if k_cw - CRC_BITS < 8:
            raise SemcomError(
                f"{channel_uses} channel uses at rate {rate:g} leave no room for data "
                f"after the {CRC_BITS}-bit CRC"
            )
        self.rate, self.bits_per_symbol = rate, bits_per_symbol
        self.n_cw, self.k_cw = n_cw, k_cw
        self.symbols_per_cw = n_cw // bits_per_symbol
        self.channel_uses = channel_uses
        #: Frame bits per image (excluding CRCs).
        self.frame_bits = self.codewords * (k_cw - CRC_BITS)
        self._crc = CRCEncoder(CRC, k=k_cw - CRC_BITS)
        self._crc_check = CRCDecoder(self._crc)
        self._encoder = LDPC5GEncoder(k_cw, n_cw, num_bits_per_symbol=bits_per_symbol)
        self._decoder = LDPC5GDecoder(self._encoder, hard_out=True, num_iter=LDPC_ITERATIONS)
        self._mapper = Mapper("qam", bits_per_symbol)
        self._demapper = Demapper("app", "qam", bits_per_symbol)

    @torch.no_grad()
    def transmit(
        self,
        bits: torch.Tensor,
        channel: Channel,
        snr_db: float,
        generator: torch.Generator | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Send ``bits [B, frame_bits] float32`` (0/1) over ``channel`` at ``snr_db``.

        Returns the received bits ``[B, frame_bits] float32`` and ``ok [B] bool`` (every
        CRC of the image passed).
        """
        b = bits.shape[0]
        u = bits.reshape(b * self.codewords, self.k_cw - CRC_BITS)
        x = self._mapper(self._encoder(self._crc(u)))  # [B*cw, symbols_per_cw]
        x = x.reshape(b, self.codewords * self.symbols_per_cw)
        pad = self.channel_uses - x.shape[1]  # unused channel uses carry nothing
        if pad:
            x = torch.cat([x, torch.zeros(b, pad, dtype=x.dtype)], dim=1)
        snr = torch.full((b,), float(snr_db))
        y, csi = channel.transmit(x, snr, generator)
        x_est, no = effective_symbols(channel, y, csi, snr)
        used = self.codewords * self.symbols_per_cw
        x_est = x_est[:, :used].reshape(b * self.codewords, self.symbols_per_cw)
        no = no[:, :used].reshape(b * self.codewords, self.symbols_per_cw)
        llr = self._demapper(x_est, no)
        u_hat, crc_ok = self._crc_check(self._decoder(llr))
        ok = crc_ok.reshape(b, self.codewords).all(dim=1)
        return u_hat.reshape(b, self.frame_bits).float(), ok
