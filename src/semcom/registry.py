"""One generic registry for every pluggable kind (codecs, channels, ...).

A kind is a :class:`Registry` instance; entries are added with its ``register``
decorator and built with ``create(name, **kwargs)``. Unknown names raise
:class:`~semcom.errors.SemcomError` listing the allowed ones.

Example:
    >>> from semcom.registry import create_channel, CHANNELS
    >>> "awgn" in CHANNELS.names()
    True
    >>> ch = create_channel("awgn")
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from semcom.errors import SemcomError

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    """A registered factory with a one-line summary."""

    name: str
    factory: Callable[..., T]
    summary: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


class Registry(Generic[T]):
    """Name -> factory map for one kind of component.

    Args:
        kind: what the entries are, used in error messages ("codec", "channel").
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}

    def register(
        self, name: str, *, summary: str = "", **meta: Any
    ) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator adding ``factory`` under ``name``; names are unique."""

        def deco(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            doc = summary or (inspect.getdoc(factory) or "").split("\n")[0]
            self._entries[name] = Entry(name, factory, doc, dict(meta))
            return factory

        return deco

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._entries)

    def entry(self, name: str) -> Entry[T]:
        """The entry for ``name``; unknown names raise :class:`SemcomError`."""
        _ensure_builtins_loaded()
        try:
            return self._entries[name]
        except KeyError:
            allowed = ", ".join(self.names()) or "(none)"
            raise SemcomError(f"unknown {self.kind} {name!r}; choose one of: {allowed}") from None

    def create(self, name: str, **kwargs: Any) -> T:
        """Build the component ``name`` with ``kwargs``.

        Unknown keyword arguments raise :class:`SemcomError` naming the allowed ones; so
        does a value the component rejects (its ``TypeError`` / ``ValueError``, with the
        options given), since these come from users' ``KEY=VALUE`` options.
        """
        factory = self.entry(name).factory
        params = inspect.signature(factory).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        if not takes_any:
            unknown = sorted(set(kwargs) - set(params))
            if unknown:
                allowed = ", ".join(p for p in params if p != "self")
                raise SemcomError(
                    f"{self.kind} {name!r} has no option {unknown[0]!r}; allowed: {allowed}"
                )
        try:
            return factory(**kwargs)
        except (TypeError, ValueError) as e:
            if not kwargs:
                raise
            given = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
            raise SemcomError(f"{self.kind} {name!r} cannot be built with {given}: {e}") from e

    def __contains__(self, name: object) -> bool:
        _ensure_builtins_loaded()
        return name in self._entries

    def __iter__(self):  # type: ignore[no-untyped-def]
        _ensure_builtins_loaded()
        return iter(self.names())


def _ensure_builtins_loaded() -> None:
    """Import the built-in component modules so their decorators have run."""
    import semcom.channels
    import semcom.codecs
    import semcom.data
    import semcom.refiners  # noqa: F401


CODECS: Registry[Any] = Registry("codec")
CHANNELS: Registry[Any] = Registry("channel")
PARTITIONERS: Registry[Any] = Registry("partitioner")
REFINERS: Registry[Any] = Registry("refiner")


def create_codec(name: str, **kwargs: Any) -> Any:
    """Build a registered codec, e.g. ``create_codec("deepjscc", cbr=1/6)``."""
    return CODECS.create(name, **kwargs)


def create_channel(name: str, **kwargs: Any) -> Any:
    """Build a registered channel, e.g. ``create_channel("rayleigh-block")``."""
    return CHANNELS.create(name, **kwargs)


def create_partitioner(name: str, **kwargs: Any) -> Any:
    """Build a registered partitioner, e.g. ``create_partitioner("dirichlet", alpha=0.9)``."""
    return PARTITIONERS.create(name, **kwargs)
