"""The twin store: physical twins, versioned virtual twins, sync events, model versions.

One :class:`TwinStore` per database URL (SQLAlchemy 2):

- SQLite by default (``sqlite:///semcom.db``), opened in WAL mode with a busy timeout,
  ``synchronous=NORMAL`` (a committed version survives a killed process; a power cut may
  lose the last commits, never corrupt the file) and every write transaction started with
  ``BEGIN IMMEDIATE``, so concurrent writers queue instead of failing;
- PostgreSQL by URL (``postgresql+psycopg://user@host/db``, extra ``semcom[postgres]``),
  where the twin's row is locked (``SELECT ... FOR UPDATE``) while its next version
  number is taken.

Every write is one transaction: a version and its ``ok`` sync event are written together
or not at all; a failed sync writes only its ``failed`` event. The layout is created and
upgraded by Alembic (:meth:`TwinStore.create`); :meth:`TwinStore.open` refuses a database
that was never initialised.

Example:
    >>> store = TwinStore.create("sqlite://")          # in memory
    >>> store.add_twin("p1", cluster="Sedentary", profile={"Age": 71})
    >>> store.append_version("p1", {"HeartRate": 80}, snr_db=10.0, bits=512).version
    1
    >>> store.append_version("p1", {"HeartRate": 82}).version
    2
    >>> store.current("p1").state
    {'HeartRate': 82}
    >>> [e.status for e in store.sync_events("p1")]
    ['ok', 'ok']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, inspect, select
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from semcom.errors import SemcomError
from semcom.twin.schema import ModelVersion, PhysicalTwin, SyncEvent, VirtualTwinVersion

__all__ = ["ModelInfo", "SyncEventInfo", "TwinInfo", "TwinStore", "VersionInfo"]

_MIGRATIONS = Path(__file__).with_name("migrations")


@dataclass(frozen=True)
class TwinInfo:
    """A physical twin: id, cluster and profile."""

    id: str
    cluster: str
    profile: dict[str, Any]


@dataclass(frozen=True)
class VersionInfo:
    """One virtual-twin version with its provenance (``snr_db`` dB, ``bits``,
    ``latency_s`` s, the serving model version's id)."""

    twin_id: str
    version: int
    state: dict[str, Any]
    model_version_id: int | None
    snr_db: float | None
    bits: int | None
    latency_s: float | None
    created_at: datetime


@dataclass(frozen=True)
class SyncEventInfo:
    """One sync attempt: ``status`` ``"ok"`` (with the version it wrote) or ``"failed"``
    (with the reason)."""

    twin_id: str
    status: str
    reason: str | None
    version: int | None
    created_at: datetime


@dataclass(frozen=True)
class ModelInfo:
    """A model version serving a cluster (``version`` counts per cluster from 1)."""

    id: int
    cluster: str
    version: int
    name: str
    checkpoint: str | None
    metrics: dict[str, Any]


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages)."""
    return re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", url)


def _engine(url: str) -> Engine:
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 60})
            _sqlite_pragmas(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError) as e:
        raise SemcomError(f"bad database URL {redact_url(url)!r}: {e}") from None
    except ModuleNotFoundError as e:
        raise SemcomError(
            f"the database driver for {redact_url(url)!r} is not installed ({e.name}); "
            "for PostgreSQL: pip install 'semcom[postgres]'"
        ) from None
    return engine


def _sqlite_pragmas(engine: Engine) -> None:
    memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_connection.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _unreachable(url: str, e: Exception) -> SemcomError:
    lines = str(getattr(e, "orig", e)).strip().splitlines()
    detail = lines[0] if lines else type(e).__name__
    return SemcomError(f"cannot reach the database {redact_url(url)!r}: {detail}")


class TwinStore:
    """The store at one database URL (module docstring). Use :meth:`create` (makes or
    upgrades the layout) or :meth:`open` (an initialised store)."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self._session = sessionmaker(engine, expire_on_commit=False)

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def create(cls, url: str = "sqlite:///semcom.db") -> TwinStore:
        """Open ``url``, creating or upgrading the layout to the newest migration."""
        engine = _engine(url)
        try:
            with engine.begin() as conn:
                _upgrade(conn)
        except DBAPIError as e:
            raise _unreachable(url, e) from None
        return cls(engine, url)

    @classmethod
    def open(cls, url: str = "sqlite:///semcom.db") -> TwinStore:
        """Open an initialised store (``semcom twin init`` made it)."""
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            path = Path(url.removeprefix("sqlite:///"))
            if not path.exists():
                raise SemcomError(
                    f"no twin store at {str(path)!r}; create it with: semcom twin init --db {url}"
                )
        engine = _engine(url)
        try:
            with engine.connect() as conn:
                tables = set(inspect(conn).get_table_names())
        except DBAPIError as e:
            raise _unreachable(url, e) from None
        if "virtual_twin_versions" not in tables:
            raise SemcomError(
                f"{redact_url(url)!r} holds no twin store; create it with: "
                f"semcom twin init --db {redact_url(url)}"
            )
        return cls(engine, url)

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()

    def __enter__(self) -> TwinStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any error."""
        try:
            with self._session() as session, session.begin():
                yield session
        except DBAPIError as e:
            if e.connection_invalidated or "could not connect" in str(e.orig):
                raise _unreachable(self.url, e) from None
            raise

    # -- physical twins ------------------------------------------------------------------

    def add_twin(self, twin_id: str, cluster: str, profile: dict[str, Any] | None = None) -> None:
        """Register a physical twin (an existing id is an error)."""
        self.add_twins([(twin_id, cluster, profile or {})])

    def add_twins(self, twins: Iterable[tuple[str, str, dict[str, Any]]]) -> int:
        """Register ``(id, cluster, profile)`` twins in one transaction; returns how many."""
        items = list(twins)
        with self._tx() as s:
            ids = [t[0] for t in items]
            clash = s.scalars(select(PhysicalTwin.id).where(PhysicalTwin.id.in_(ids))).all()
            if clash:
                raise SemcomError(f"twin id {clash[0]!r} already exists")
            s.add_all(PhysicalTwin(id=i, cluster=c, profile=p) for i, c, p in items)
        return len(items)

    def twin(self, twin_id: str) -> TwinInfo:
        """The physical twin ``twin_id`` (an unknown id is a one-line error)."""
        with self._tx() as s:
            row = s.get(PhysicalTwin, twin_id)
            if row is None:
                raise SemcomError(f"unknown twin id {twin_id!r}")
            return TwinInfo(row.id, row.cluster, dict(row.profile))

    def twins(self, cluster: str | None = None) -> list[TwinInfo]:
        """Every physical twin (of ``cluster``), by id."""
        with self._tx() as s:
            q = select(PhysicalTwin).order_by(PhysicalTwin.id)
            if cluster is not None:
                q = q.where(PhysicalTwin.cluster == cluster)
            return [TwinInfo(r.id, r.cluster, dict(r.profile)) for r in s.scalars(q)]

    # -- virtual twins -------------------------------------------------------------------

    def append_version(
        self,
        twin_id: str,
        state: dict[str, Any],
        *,
        model_version_id: int | None = None,
        snr_db: float | None = None,
        bits: int | None = None,
        latency_s: float | None = None,
    ) -> VersionInfo:
        """Append the next version of ``twin_id``'s virtual twin and its ``ok`` sync event,
        in one transaction of its own.

        Args:
            twin_id: a registered physical twin.
            state: the regenerated record (JSON-serialisable).
            model_version_id, snr_db, bits, latency_s: provenance (dB, bits, s).

        Returns:
            The written :class:`VersionInfo` (``version`` = previous + 1).
        """
        with self._tx() as s:
            twin = s.execute(
                select(PhysicalTwin.id).where(PhysicalTwin.id == twin_id).with_for_update()
            ).first()
            if twin is None:
                raise SemcomError(f"unknown twin id {twin_id!r}")
            last = s.scalar(
                select(func.max(VirtualTwinVersion.version)).where(
                    VirtualTwinVersion.twin_id == twin_id
                )
            )
            row = VirtualTwinVersion(
                twin_id=twin_id,
                version=(last or 0) + 1,
                state=state,
                model_version_id=model_version_id,
                snr_db=snr_db,
                bits=bits,
                latency_s=latency_s,
            )
            s.add(row)
            s.flush()
            s.add(SyncEvent(twin_id=twin_id, status="ok", version_id=row.id))
            return _version_info(row)

    def record_failed_sync(self, twin_id: str, reason: str) -> None:
        """Log a sync that wrote nothing, with its reason."""
        with self._tx() as s:
            s.add(SyncEvent(twin_id=twin_id, status="failed", reason=reason))

    def current(self, twin_id: str) -> VersionInfo | None:
        """The latest version of ``twin_id``'s virtual twin (``None`` before any sync)."""
        hist = self.history(twin_id, last=1)
        return hist[-1] if hist else None

    def history(self, twin_id: str, last: int | None = None) -> list[VersionInfo]:
        """``twin_id``'s versions, oldest first (only the ``last`` newest if given)."""
        with self._tx() as s:
            if s.get(PhysicalTwin, twin_id) is None:
                raise SemcomError(f"unknown twin id {twin_id!r}")
            q = (
                select(VirtualTwinVersion)
                .where(VirtualTwinVersion.twin_id == twin_id)
                .order_by(VirtualTwinVersion.version.desc())
            )
            if last is not None:
                q = q.limit(last)
            return [_version_info(r) for r in reversed(s.scalars(q).all())]

    def sync_events(self, twin_id: str | None = None) -> list[SyncEventInfo]:
        """Sync attempts (of ``twin_id``), oldest first."""
        with self._tx() as s:
            q = (
                select(SyncEvent, VirtualTwinVersion.version)
                .outerjoin(VirtualTwinVersion, SyncEvent.version_id == VirtualTwinVersion.id)
                .order_by(SyncEvent.id)
            )
            if twin_id is not None:
                q = q.where(SyncEvent.twin_id == twin_id)
            return [
                SyncEventInfo(e.twin_id, e.status, e.reason, v, e.created_at)
                for e, v in s.execute(q).all()
            ]

    def counts(self) -> dict[str, int]:
        """Rows per table: ``twins``, ``versions``, ``sync_ok``, ``sync_failed``, ``models``."""
        with self._tx() as s:

            def n(q: Any) -> int:
                return int(s.scalar(q) or 0)

            return {
                "twins": n(select(func.count()).select_from(PhysicalTwin)),
                "versions": n(select(func.count()).select_from(VirtualTwinVersion)),
                "sync_ok": n(select(func.count()).where(SyncEvent.status == "ok")),
                "sync_failed": n(select(func.count()).where(SyncEvent.status == "failed")),
                "models": n(select(func.count()).select_from(ModelVersion)),
            }

    # -- model versions ------------------------------------------------------------------

    def register_model(
        self,
        cluster: str,
        name: str,
        checkpoint: str | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> ModelInfo:
        """Register the next model version serving ``cluster``."""
        with self._tx() as s:
            last = s.scalar(
                select(func.max(ModelVersion.version)).where(ModelVersion.cluster == cluster)
            )
            row = ModelVersion(
                cluster=cluster,
                version=(last or 0) + 1,
                name=name,
                checkpoint=checkpoint,
                metrics=metrics or {},
            )
            s.add(row)
            s.flush()
            return _model_info(row)

    def model_for(self, cluster: str) -> ModelInfo | None:
        """The newest model version serving ``cluster`` (``None`` if none)."""
        with self._tx() as s:
            row = s.scalars(
                select(ModelVersion)
                .where(ModelVersion.cluster == cluster)
                .order_by(ModelVersion.version.desc())
                .limit(1)
            ).first()
            return None if row is None else _model_info(row)


def _version_info(r: VirtualTwinVersion) -> VersionInfo:
    return VersionInfo(
        r.twin_id,
        r.version,
        dict(r.state),
        r.model_version_id,
        r.snr_db,
        r.bits,
        r.latency_s,
        r.created_at,
    )


def _model_info(r: ModelVersion) -> ModelInfo:
    return ModelInfo(r.id, r.cluster, r.version, r.name, r.checkpoint, dict(r.metrics))


def _upgrade(conn: Any) -> None:
    """Alembic ``upgrade head`` on ``conn`` (the migrations shipped in the package)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")
