"""ServeConfig: every bad setting is a one-line SemcomError naming it."""

from __future__ import annotations

from typing import Any

import pytest

from semcom.errors import SemcomError
from semcom.serving.config import ServeConfig


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"max_batch": 0}, "max_batch must be >= 1, got 0"),
        ({"queue_size": 0}, "queue_size must be >= 1, got 0"),
        ({"max_body_bytes": 0}, "max_body_bytes must be >= 1, got 0"),
        ({"max_tiles": 0}, "max_tiles must be >= 1, got 0"),
        ({"cache_entries": -1}, "cache_entries must be >= 0, got -1"),
        ({"threads": -2}, "threads must be >= 0, got -2"),
        ({"max_wait_ms": -1.0}, "max_wait_ms must be >= 0, got -1.0"),
        ({"max_wait_ms": float("nan")}, "max_wait_ms must be >= 0, got nan"),
        ({"timeout_s": 0.0}, "timeout_s must be > 0, got 0.0"),
        ({"api_key": "  "}, "api_key is empty"),
    ],
)
def test_bad_settings_are_refused(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(SemcomError, match=message.replace("(", r"\(")):
        ServeConfig(**settings)


def test_the_api_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEMCOM_API_KEY", "from-env")
    assert ServeConfig.api_key_from_env() == "from-env"
    monkeypatch.setenv("SEMCOM_API_KEY", "")
    assert ServeConfig.api_key_from_env() is None
    assert ServeConfig(cache_entries=0, max_wait_ms=0).cache_entries == 0
