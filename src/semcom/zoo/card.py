"""Model cards: what a zoo model is, how it was trained and what it measures.

Example:
    >>> from semcom.zoo import get_card
    >>> card = get_card("deepjscc-cifar10-awgn")
    >>> card.cbr, card.channel
    (0.16666666666666666, 'awgn')
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PsnrPoint:
    """One line of a card's table, as ``semcom sweep`` measured it.

    Attributes:
        channel: registered channel name.
        snr_db: channel SNR in dB.
        psnr_db: mean over images of per-image PSNR, dB.
        ssim: mean per-image SSIM.
    """

    channel: str
    snr_db: float
    psnr_db: float
    ssim: float


@dataclass(frozen=True)
class ModelCard:
    """A zoo model's card.

    Attributes:
        name: the zoo name (``zoo:NAME``).
        summary: one line.
        codec: registered codec name.
        file: weight file inside ``semcom/zoo/weights/``.
        sha256: sha256 of that file, checked at every load.
        data: training data spec (the project's shared subset).
        eval_data: data spec of the images ``psnr_table`` was measured on.
        eval_images: how many images that is.
        recipe: the exact ``semcom train`` command.
        channel: training channel.
        cbr: bandwidth ratio k / (C*H*W).
        snr_db: training SNR range (low, high) in dB, sampled uniformly per image.
        train_wall_time_s: training wall time in seconds.
        hardware: where it was trained.
        epochs: epochs trained.
        psnr_table: the sweep on ``eval_data`` (fixed noise seed 0).
        notes: anything a user should know (quality bars met or not, caveats).
        refiner: for a link (codec + refiner, ``semcom train-refiner``): the refiner size;
            then ``recipe``, ``epochs``, wall time and hardware describe the refiner's
            training, the table is measured through the whole link (T reverse steps) and
            the codec's own card is ``codec_model``.
        codec_model: for a link, the zoo name of the codec it refines.
    """

    name: str
    summary: str
    codec: str
    file: str
    sha256: str
    data: str
    eval_data: str
    eval_images: int
    recipe: str
    channel: str
    cbr: float
    snr_db: tuple[float, float]
    train_wall_time_s: float
    hardware: str
    epochs: int
    psnr_table: tuple[PsnrPoint, ...]
    notes: str = ""
    refiner: str | None = None
    codec_model: str | None = None

    def psnr_at(self, channel: str, snr_db: float) -> float:
        """The card's PSNR (dB) on ``channel`` at ``snr_db``; ``KeyError`` if not measured."""
        for p in self.psnr_table:
            if p.channel == channel and p.snr_db == snr_db:
                return p.psnr_db
        raise KeyError((channel, snr_db))


@dataclass(frozen=True)
class ClassifierCard:
    """A zoo classifier's card (``zoo:classifier-...``), for accuracy on reconstructions.

    Attributes:
        name: the zoo name.
        summary: one line.
        file: weight file inside ``semcom/zoo/weights/``.
        sha256: sha256 of that file, checked at every load.
        data: training data spec.
        eval_data: data spec of the images ``accuracy`` was measured on.
        eval_images: how many images that is.
        accuracy: fraction of ``eval_data``'s clean images classified right.
        recipe: the exact ``semcom train-classifier`` command.
        train_wall_time_s: training wall time in seconds.
        hardware: where it was trained.
        epochs: epochs trained.
        notes: caveats.
    """

    name: str
    summary: str
    file: str
    sha256: str
    data: str
    eval_data: str
    eval_images: int
    accuracy: float
    recipe: str
    train_wall_time_s: float
    hardware: str
    epochs: int
    notes: str = ""
