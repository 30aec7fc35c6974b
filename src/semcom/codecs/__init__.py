"""Learned joint source-channel codecs.

Registered codecs (see ``semcom models``):

* ``deepjscc`` — :class:`~semcom.codecs.deepjscc.DeepJSCC`.
* ``swinjscc`` — :class:`~semcom.codecs.swinjscc.SwinJSCC` (SNR-adaptive).
* ``vitjscc`` — :class:`~semcom.codecs.vitjscc.ViTJSCC` (sizes ``gsc-m``, ``gsc-l``, ``gsc-h``).
* ``csc`` — :class:`~semcom.codecs.csc.CSC` (ResNet-18 encoder).

A new codec is one file here subclassing :class:`~semcom.codecs.base.Codec` plus its
``@CODECS.register`` line; the registry-driven tests cover it automatically.
"""

from semcom.codecs.base import Codec, channel_uses
from semcom.codecs.csc import CSC
from semcom.codecs.deepjscc import DeepJSCC
from semcom.codecs.swinjscc import SwinJSCC
from semcom.codecs.vitjscc import ViTJSCC

__all__ = ["CSC", "Codec", "DeepJSCC", "SwinJSCC", "ViTJSCC", "channel_uses"]
