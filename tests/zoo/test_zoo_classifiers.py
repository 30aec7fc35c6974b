"""The zoo's classifiers: recipes, hashes and the accuracies their cards state."""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path

import pytest

import semcom.cli.app
from semcom.data import load_images
from semcom.errors import SemcomError
from semcom.tasks import load_classifier
from semcom.tasks import train_classifier as train_mod
from semcom.tasks.train_classifier import evaluate_accuracy
from semcom.zoo.card import ClassifierCard
from semcom.zoo.cards import CLASSIFIER_CARDS
from semcom.zoo.store import get_classifier_card

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


class _CapturedError(Exception):
    pass


def test_the_three_classifiers_are_there() -> None:
    names = {c.name for c in CLASSIFIER_CARDS}
    assert names == {"classifier-cifar10", "classifier-mnist", "classifier-fashion-mnist"}


@pytest.mark.parametrize("card", CLASSIFIER_CARDS, ids=lambda c: c.name)
def test_recipe_is_the_config_the_weights_were_trained_with(
    card: ClassifierCard, monkeypatch: pytest.MonkeyPatch
) -> None:
    def capture(cfg: object, **_: object) -> None:
        raise _CapturedError(cfg)

    monkeypatch.setattr(train_mod, "train_classifier", capture)
    argv = shlex.split(card.recipe)
    assert argv[:2] == ["semcom", "train-classifier"]
    with pytest.raises(_CapturedError) as got:
        semcom.cli.app.app(args=argv[1:], prog_name="semcom", standalone_mode=False)
    ran = dataclasses.asdict(got.value.args[0])
    stored = dict(load_classifier(f"zoo:{card.name}").train_config)
    for key in ("out", "device"):
        ran.pop(key)
        stored.pop(key)
    assert ran == stored


@pytest.mark.parametrize("card", CLASSIFIER_CARDS, ids=lambda c: c.name)
def test_card_accuracy_is_what_the_weights_measure(card: ClassifierCard) -> None:
    if not SHARED.exists():
        pytest.skip(f"{SHARED} not present (project shared data)")
    data = load_images(card.eval_data.replace("../shared/data", str(SHARED)), "eval")
    assert len(data) == card.eval_images
    model = load_classifier(f"zoo:{card.name}").build()
    assert data.labels is not None
    assert evaluate_accuracy(model, data.images, data.labels) == pytest.approx(
        card.accuracy, abs=0.001
    )


def test_unknown_classifier_lists_the_available_ones() -> None:
    with pytest.raises(SemcomError, match="unknown zoo classifier 'x'; available: classifier-"):
        get_classifier_card("zoo:x")
