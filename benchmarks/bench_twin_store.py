"""Twin-store write throughput: ``append_version`` calls per second, each in its own
transaction (issue 8's target: >= 500 versions/s on SQLite on a 2-core machine).

A version carries a regenerated health record (24 fields) and its provenance, like a
real sync. SQLite is measured on a file in a temporary folder (WAL, synchronous=NORMAL:
the store's settings); PostgreSQL when a URL is given::

    .venv/bin/python benchmarks/bench_twin_store.py
    .venv/bin/python benchmarks/bench_twin_store.py --postgres postgresql+psycopg://u@127.0.0.1/db
    bash .ci/postgres.sh sh -c '.venv/bin/python benchmarks/bench_twin_store.py \
        --postgres "$SEMCOM_TEST_POSTGRES_URL"'
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from semcom.data.health import synthesize_health_records
from semcom.errors import SemcomError
from semcom.twin import TwinStore


def measure(url: str, versions: int, twins: int) -> dict[str, float]:
    store = TwinStore.create(url)
    records = synthesize_health_records(twins, seed=0)
    store.add_twins((f"bench-{i}", "Sedentary", {}) for i in range(twins))
    rows = [dict(r) for r in records.rows]
    t0 = time.perf_counter()
    for i in range(versions):
        store.append_version(
            f"bench-{i % twins}", rows[i % twins], snr_db=10.0, bits=4096, latency_s=0.002
        )
    seconds = time.perf_counter() - t0
    counted = store.counts()["versions"]
    store.close()
    if counted < versions:
        raise SemcomError(f"only {counted} of {versions} versions were stored")
    return {"versions": versions, "seconds": seconds, "versions_per_s": versions / seconds}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--versions", type=int, default=3000)
    p.add_argument("--twins", type=int, default=100)
    p.add_argument("--postgres", default=None, help="a PostgreSQL URL to measure as well")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    figures: dict[str, dict[str, float]] = {}
    try:
        with tempfile.TemporaryDirectory() as d:
            figures["sqlite"] = measure(
                f"sqlite:///{Path(d) / 'bench.db'}", args.versions, args.twins
            )
        if args.postgres:
            from sqlalchemy import create_engine, text

            engine = create_engine(args.postgres)
            with engine.begin() as c:
                c.execute(text("drop schema public cascade"))
                c.execute(text("create schema public"))
            engine.dispose()
            figures["postgresql"] = measure(args.postgres, args.versions, args.twins)
    except SemcomError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    for name, f in figures.items():
        verdict = ""
        if name == "sqlite":
            verdict = f" (target >= 500: {'met' if f['versions_per_s'] >= 500 else 'NOT met'})"
        print(
            f"{name:10} {f['versions']:6.0f} versions in {f['seconds']:6.2f} s: "
            f"{f['versions_per_s']:7.0f} versions/s{verdict}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
