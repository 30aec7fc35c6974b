"""Learned joint source-channel codecs.

Registered codecs (see ``semcom models``):

* ``deepjscc`` — :class:`~semcom.codecs.deepjscc.DeepJSCC`.
* ``swinjscc`` — :class:`~semcom.codecs.swinjscc.SwinJSCC` (SNR-adaptive).

A new codec is one file here subclassing :class:`~semcom.codecs.base.Codec` plus its
``@CODECS.register`` line; the registry-driven tests cover it automatically.
"""

from semcom.codecs.base import Codec, channel_uses
from semcom.codecs.deepjscc import DeepJSCC
from semcom.codecs.swinjscc import SwinJSCC

__all__ = ["Codec", "DeepJSCC", "SwinJSCC", "channel_uses"]
