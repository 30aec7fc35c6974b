from __future__ import annotations

import pytest

from semcom.errors import SemcomError
from semcom.registry import CHANNELS, CODECS, PARTITIONERS, Registry, create_partitioner


def test_builtin_kinds_are_registered() -> None:
    assert "deepjscc" in CODECS
    assert {"awgn", "rayleigh-block", "rayleigh-fast", "mu-mimo"} <= set(CHANNELS.names())
    assert {"iid", "dirichlet"} <= set(PARTITIONERS.names())
    assert create_partitioner("dirichlet", alpha=0.3) is not None


def test_generic_registry() -> None:
    reg: Registry[int] = Registry("widget")

    @reg.register("one", summary="the number one")
    def one(scale: int = 1) -> int:
        return scale

    assert reg.names() == ["one"]
    assert reg.create("one", scale=3) == 3
    assert reg.entry("one").summary == "the number one"
    with pytest.raises(SemcomError, match="widget 'one' has no option 'sclae'; allowed: scale"):
        reg.create("one", sclae=2)
    with pytest.raises(SemcomError, match="unknown widget 'two'; choose one of: one"):
        reg.create("two")
    with pytest.raises(ValueError, match="registered twice"):
        reg.register("one")(one)
