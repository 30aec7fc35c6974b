"""Request and response bodies of the service (pydantic; unknown fields are refused)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from semcom.serving.config import SNR_RANGE_DB

_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)

UserId = Annotated[
    str,
    Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:@-]+$",
          description="Who sent the request (letters, digits, _ . : @ -)"),
]  # fmt: skip
SnrDb = Annotated[
    float,
    Field(ge=SNR_RANGE_DB[0], le=SNR_RANGE_DB[1], description="Received SNR, dB"),
]
Pair = Annotated[list[float], Field(min_length=2, max_length=2)]
ComplexVector = Annotated[
    str | list[Pair],
    Field(description="base64 of little-endian complex64 (8 bytes per symbol), "
                      "or a JSON list of [re, im] pairs"),
]  # fmt: skip

Side = Annotated[int, Field(ge=1, le=65536)]
ImageSize = Annotated[list[Side], Field(min_length=2, max_length=2)]


class DecodeRequest(BaseModel):
    """``POST /v1/decode``: received symbols -> the reconstructed image."""

    model_config = _STRICT

    user_id: UserId
    snr_db: SnrDb
    symbols: ComplexVector
    csi: ComplexVector | None = Field(
        default=None,
        description="Channel state per symbol (as many values as symbols), passed to the "
        "decoder as semcom's channels return it; default: none",
    )
    image_size: ImageSize | None = Field(
        default=None,
        description="[H, W] of a larger image sent as tiles of the codec's size (row by "
        "row, k symbols each); default: one tile",
    )


class TransmitRequest(BaseModel):
    """``POST /v1/transmit``: an image -> simulated uplink at ``snr_db`` -> refined image."""

    model_config = _STRICT

    user_id: UserId
    snr_db: SnrDb
    image_png_base64: str = Field(
        min_length=1, description="The image, base64 PNG (or any format Pillow reads)"
    )
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] | None = Field(
        default=None, description="Seed of the channel noise; default: from the payload hash"
    )


class Timing(BaseModel):
    """Where a request's time went, ms; ``batch_size`` images shared its forward."""

    queue_ms: float
    compute_ms: float
    total_ms: float
    batch_size: int


class ImageResponse(BaseModel):
    """The reconstructed image and how it was made."""

    user_id: str
    image_png_base64: str
    shape: list[int] = Field(description="[C, H, W]")
    tiles: int
    cached: bool
    timing: Timing
    psnr_db: float | None = Field(default=None, description="vs the sent image (transmit)")


class ErrorResponse(BaseModel):
    """Every 4xx / 5xx body: what is wrong and, for bad input, which field."""

    error: str
    field: str | None = None
