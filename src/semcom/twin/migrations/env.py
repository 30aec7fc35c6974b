"""Alembic environment of the twin store: runs on the connection semcom hands it."""

from __future__ import annotations

from alembic import context

from semcom.twin.schema import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
