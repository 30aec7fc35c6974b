"""Centralised training, checkpoints and resume."""

from semcom.train.checkpoint import Checkpoint, load_checkpoint
from semcom.train.trainer import TrainResult, train

__all__ = ["Checkpoint", "TrainResult", "load_checkpoint", "train"]
