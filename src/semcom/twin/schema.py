"""The twin store's tables (SQLAlchemy 2 ORM).

- ``physical_twins``: one row per person (id, cluster, profile as JSON).
- ``virtual_twin_versions``: the virtual twin's state, **append-only**: every sync adds a
  version ``1, 2, ...`` per twin with its provenance (model version, SNR in dB, uplink
  bits, latency in s); the current state is the highest version.
- ``sync_events``: every sync attempt, ``ok`` (with the version it wrote) or ``failed``
  (with the reason; no version written).
- ``model_versions``: which customised model serves which cluster, numbered per cluster.

The layout is created and upgraded by Alembic (``semcom/twin/migrations``), never by
``create_all``, so a database made by an older semcom is upgraded in place.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "ModelVersion", "PhysicalTwin", "SyncEvent", "VirtualTwinVersion"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of the twin store."""


class PhysicalTwin(Base):
    __tablename__ = "physical_twins"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    cluster: Mapped[str] = mapped_column(String(64), index=True)
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ModelVersion(Base):
    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("cluster", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cluster: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(128))
    checkpoint: Mapped[str | None] = mapped_column(Text, nullable=True)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class VirtualTwinVersion(Base):
    __tablename__ = "virtual_twin_versions"
    __table_args__ = (UniqueConstraint("twin_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    twin_id: Mapped[str] = mapped_column(ForeignKey("physical_twins.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_versions.id"), nullable=True
    )
    snr_db: Mapped[float | None] = mapped_column(Float, nullable=True)
    bits: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SyncEvent(Base):
    __tablename__ = "sync_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    twin_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))  # "ok" | "failed"
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("virtual_twin_versions.id"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
