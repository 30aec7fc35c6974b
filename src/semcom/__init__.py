"""semcom: generative semantic communication, trained with federated learning, for human
digital twins.

The data path is ``image -> codec.encode -> channel -> codec.decode -> refiner``; every
component is built by name from one registry:

    >>> import torch, semcom
    >>> link = semcom.SemanticLink(semcom.create_codec("deepjscc"), semcom.create_channel("awgn"))
    >>> link(torch.rand(1, 3, 32, 32), snr_db=5.0)["x_hat"].shape
    torch.Size([1, 3, 32, 32])
"""

from semcom.errors import SemcomError
from semcom.link import SemanticLink
from semcom.qoe import register_env
from semcom.registry import (
    CHANNELS,
    CODECS,
    PARTITIONERS,
    create_channel,
    create_codec,
    create_partitioner,
)
from semcom.seeding import make_generator, seed_everything
from semcom.zoo import load

__version__ = "0.1.0"

register_env()  # gymnasium.make("semcom/QoE-v0")

__all__ = [
    "CHANNELS",
    "CODECS",
    "PARTITIONERS",
    "SemanticLink",
    "SemcomError",
    "__version__",
    "create_channel",
    "create_codec",
    "create_partitioner",
    "load",
    "make_generator",
    "seed_everything",
]
