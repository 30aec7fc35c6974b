"""The twin store on a real PostgreSQL (``pytest -m postgres``; ``.ci/run`` starts one
and sets ``SEMCOM_TEST_POSTGRES_URL``)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

from semcom.twin import TwinStore

pytestmark = pytest.mark.postgres


@pytest.fixture
def url() -> str:
    value = os.environ.get("SEMCOM_TEST_POSTGRES_URL")
    if not value:  # selected with -m postgres but no server: a failure, not a skip
        pytest.fail("SEMCOM_TEST_POSTGRES_URL is not set (run through .ci/postgres.sh)")
    engine = create_engine(value)
    with engine.begin() as c:  # a clean database for every test
        c.execute(text("drop schema public cascade"))
        c.execute(text("create schema public"))
    engine.dispose()
    return value


def test_versions_models_and_events(url: str) -> None:
    s = TwinStore.create(url)
    s.add_twins([("a", "Sedentary", {"Age": 61})])
    m = s.register_model("Sedentary", "fles-custom", metrics={"error_rate": 0.1})
    for i in range(3):
        s.append_version("a", {"i": i}, model_version_id=m.id, snr_db=3.0, bits=64)
    s.record_failed_sync("a", "bad record")
    assert [v.version for v in s.history("a")] == [1, 2, 3]
    current = s.current("a")
    assert current is not None
    assert current.state == {"i": 2}
    assert [e.status for e in s.sync_events("a")] == ["ok", "ok", "ok", "failed"]
    assert TwinStore.create(url).counts()["versions"] == 3  # re-create: migrations no-op


def test_eight_processes_lose_no_version(url: str) -> None:
    s = TwinStore.create(url)
    s.add_twin("shared", "Sedentary")
    code = (
        "from semcom.twin import TwinStore\n"
        f"s = TwinStore.open({url!r})\n"
        "for i in range(40):\n"
        "    s.append_version('shared', {'i': i})\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(8)]
    assert [p.wait(timeout=120) for p in procs] == [0] * 8
    assert [v.version for v in s.history("shared")] == list(range(1, 321))
