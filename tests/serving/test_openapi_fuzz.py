"""Schemathesis: generated requests from the OpenAPI spec never make the service fail.

Every operation is called with examples built from its schema (valid and invalid); every
answer must be a non-5xx status the spec declares, with a body matching its schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from tests.serving.conftest import serve_engine

from semcom.link import SemanticLink
from semcom.serving.engine import LinkEngine


@pytest.fixture(scope="module")
def api_schema(fast_link: SemanticLink) -> Iterator[Any]:
    with serve_engine(LinkEngine(fast_link), max_body_bytes=500_000) as url:
        yield schemathesis.openapi.from_url(f"{url}/openapi.json")


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_generated_requests_get_declared_non_5xx_answers(api_schema: Any) -> None:
    # schemathesis' own pytest integration (from_fixture) does not run under pytest 9.2,
    # so each operation's strategy is driven by hypothesis directly.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/decode", "/v1/transmit", "/healthz"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def check(case: Any) -> None:
            case.call_and_validate(checks=CHECKS, timeout=60)

        check()
