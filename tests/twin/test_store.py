"""The twin store: versions, sync events, model versions, migrations, concurrency,
crash consistency and one-line errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from semcom.errors import SemcomError
from semcom.twin import TwinStore


@pytest.fixture
def store(tmp_path: Path) -> TwinStore:
    s = TwinStore.create(f"sqlite:///{tmp_path / 't.db'}")
    s.add_twins([("a", "Sedentary", {"Age": 70}), ("b", "Mild Activity", {})])
    return s


def test_versions_append_and_current_is_latest(store: TwinStore) -> None:
    assert store.current("a") is None
    for hr in (70, 71, 72):
        store.append_version("a", {"HeartRate": hr}, snr_db=5.0, bits=100, latency_s=0.01)
    hist = store.history("a")
    assert [v.version for v in hist] == [1, 2, 3]
    cur = store.current("a")
    assert cur is not None
    assert cur.state == {"HeartRate": 72}
    assert (cur.snr_db, cur.bits, cur.latency_s) == (5.0, 100, 0.01)
    assert store.history("b") == []
    assert [e.version for e in store.sync_events("a")] == [1, 2, 3]


def test_failed_sync_writes_no_version(store: TwinStore) -> None:
    store.record_failed_sync("a", "row 1, column 'Age': 'x' is not a number")
    ev = store.sync_events("a")
    assert [(e.status, e.version) for e in ev] == [("failed", None)]
    assert ev[0].reason is not None
    assert "Age" in ev[0].reason
    assert store.counts()["versions"] == 0


def test_model_versions_count_per_cluster(store: TwinStore) -> None:
    assert store.model_for("Sedentary") is None
    m1 = store.register_model("Sedentary", "fles-global", metrics={"error_rate": 0.2})
    m2 = store.register_model("Sedentary", "fles-custom")
    m3 = store.register_model("Mild Activity", "fles-custom")
    assert (m1.version, m2.version, m3.version) == (1, 2, 1)
    latest = store.model_for("Sedentary")
    assert latest is not None
    assert latest.name == "fles-custom"
    v = store.append_version("a", {"x": 1}, model_version_id=m2.id)
    assert v.model_version_id == m2.id


def test_unknown_twin_and_duplicate_ids_are_one_line_errors(store: TwinStore) -> None:
    with pytest.raises(SemcomError, match="unknown twin id 'zz'"):
        store.append_version("zz", {})
    with pytest.raises(SemcomError, match="unknown twin id 'zz'"):
        store.history("zz")
    with pytest.raises(SemcomError, match="already exists"):
        store.add_twin("a", "Sedentary")


def test_open_refuses_missing_store_and_bad_urls(tmp_path: Path) -> None:
    with pytest.raises(SemcomError, match="twin init"):
        TwinStore.open(f"sqlite:///{tmp_path / 'none.db'}")
    with pytest.raises(SemcomError, match="bad database URL"):
        TwinStore.create("nosuchdialect://x")
    with pytest.raises(SemcomError, match="cannot reach the database"):
        TwinStore.create(f"sqlite:///{tmp_path / 'no' / 'dir' / 'x.db'}")


def test_unreachable_postgres_says_so() -> None:
    pytest.importorskip("psycopg", reason="the postgres extra is not installed")
    with pytest.raises(SemcomError, match=r"cannot reach the database .*:\*\*\*@"):
        TwinStore.create("postgresql+psycopg://u:secret@127.0.0.1:1/db?connect_timeout=2")


def test_create_is_idempotent_and_migrated(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    TwinStore.create(url).add_twin("p", "Sedentary")
    again = TwinStore.create(url)  # upgrade of an up-to-date store: a no-op
    assert again.counts()["twins"] == 1
    with again.engine.connect() as c:
        assert c.execute(text("select version_num from alembic_version")).scalar() == "0001"
        assert c.execute(text("pragma journal_mode")).scalar() == "wal"


def test_eight_processes_lose_no_version(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    s = TwinStore.create(url)
    s.add_twins([("shared", "Sedentary", {}), ("solo", "Sedentary", {})])
    code = (
        "import os\n"
        "from semcom.twin import TwinStore\n"
        f"s = TwinStore.open({url!r})\n"
        "for i in range(40):\n"
        "    s.append_version('shared', {'i': i, 'writer': os.getpid()})\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(8)]
    assert [p.wait(timeout=120) for p in procs] == [0] * 8
    hist = s.history("shared")
    assert [v.version for v in hist] == list(range(1, 321))  # no gap, no duplicate
    assert s.counts() == {
        "twins": 2,
        "versions": 320,
        "sync_ok": 320,
        "sync_failed": 0,
        "models": 0,
    }


def test_kill_during_sync_leaves_store_consistent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    s = TwinStore.create(url)
    s.add_twin("p", "Sedentary")
    big = "x" * 20000  # large states: the kill lands inside a write more often
    code = (
        "from semcom.twin import TwinStore\n"
        f"s = TwinStore.open({url!r})\n"
        "i = 0\n"
        "while True:\n"
        f"    s.append_version('p', {{'i': i, 'pad': {big!r}}})\n"
        "    i += 1\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 60
    while s.counts()["versions"] < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    after = TwinStore.open(url)
    hist = after.history("p")
    assert len(hist) >= 30
    assert [v.version for v in hist] == list(range(1, len(hist) + 1))
    assert all(v.state["i"] == v.version - 1 and len(v.state["pad"]) == 20000 for v in hist)
    events = after.sync_events("p")
    assert [e.version for e in events] == [v.version for v in hist]  # version <=> ok event
    with after.engine.connect() as c:
        assert c.execute(text("pragma integrity_check")).scalar() == "ok"
    after.append_version("p", {"i": -1, "pad": ""})  # still writable
