"""Finding, checking and loading zoo weights: ``zoo:NAME`` wherever a checkpoint goes.

Example:
    >>> from semcom.zoo import names, weights_path
    >>> "deepjscc-cifar10-awgn" in names()
    True
    >>> weights_path("deepjscc-cifar10-awgn").name
    'deepjscc-cifar10-awgn.pt'
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from semcom.errors import SemcomError
from semcom.zoo.card import ClassifierCard, ModelCard
from semcom.zoo.cards import CARDS, CLASSIFIER_CARDS

PREFIX = "zoo:"
_BY_NAME = {c.name: c for c in CARDS}
_CLASSIFIERS = {c.name: c for c in CLASSIFIER_CARDS}


def names() -> list[str]:
    """The zoo's codec model names, sorted."""
    return sorted(_BY_NAME)


def classifier_names() -> list[str]:
    """The zoo's classifier names, sorted."""
    return sorted(_CLASSIFIERS)


def get_classifier_card(name: str) -> ClassifierCard:
    """The card of classifier ``name`` (with or without ``zoo:``)."""
    name = name.removeprefix(PREFIX)
    try:
        return _CLASSIFIERS[name]
    except KeyError:
        raise SemcomError(
            f"unknown zoo classifier {name!r}; available: {', '.join(classifier_names())}"
        ) from None


def _any_card(name: str) -> ModelCard | ClassifierCard:
    bare = name.removeprefix(PREFIX)
    if bare in _CLASSIFIERS:
        return _CLASSIFIERS[bare]
    return get_card(bare)


def get_card(name: str) -> ModelCard:
    """The card of ``name`` (with or without ``zoo:``); unknown names list the available ones."""
    name = name.removeprefix(PREFIX)
    try:
        return _BY_NAME[name]
    except KeyError:
        raise SemcomError(f"unknown zoo model {name!r}; available: {', '.join(names())}") from None


def weights_path(name: str) -> Path:
    """Where ``name``'s weight file lies inside the installed package (not yet checked)."""
    card = _any_card(name)
    return Path(str(files("semcom.zoo").joinpath("weights", card.file)))


@lru_cache(maxsize=32)
def _sha256(path: Path, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verified_weights(name: str) -> Path:
    """``name``'s weight file after checking its sha256 against the card.

    Raises:
        SemcomError: unknown name, missing file, or a hash that does not match.
    """
    card = _any_card(name)
    path = weights_path(card.name)
    if not path.is_file():
        raise SemcomError(f"zoo weights for {card.name!r} are missing at {path}; reinstall semcom")
    st = path.stat()
    digest = _sha256(path, st.st_mtime_ns, st.st_size)
    if digest != card.sha256:
        raise SemcomError(
            f"zoo weights {path} do not match their card: sha256 {digest[:12]}..., expected "
            f"{card.sha256[:12]}...; refusing to load (reinstall semcom)"
        )
    return path


def is_zoo_spec(spec: str | Path) -> bool:
    """Whether ``spec`` names a zoo model (``zoo:NAME``)."""
    return str(spec).startswith(PREFIX)
