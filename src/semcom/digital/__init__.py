"""Separate source + channel coding baselines: an image codec, 5G LDPC and QAM (Sionna
PHY), and the ideal "codec + capacity" reference. See :mod:`semcom.digital.method`."""

from semcom.digital.image_codecs import IMAGE_CODECS, ImageCodec, create_image_codec
from semcom.digital.method import (
    DigitalMethod,
    DigitalResult,
    is_digital_method,
    parse_digital_method,
)

__all__ = [
    "IMAGE_CODECS",
    "DigitalMethod",
    "DigitalResult",
    "ImageCodec",
    "create_image_codec",
    "is_digital_method",
    "parse_digital_method",
]
