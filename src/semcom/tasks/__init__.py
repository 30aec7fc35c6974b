"""Task-oriented semantic communication: classifiers run on the reconstructions."""

from semcom.tasks.classifier import (
    ClassifierCheckpoint,
    ImageClassifier,
    accuracy,
    load_classifier,
)

__all__ = ["ClassifierCheckpoint", "ImageClassifier", "accuracy", "load_classifier"]
