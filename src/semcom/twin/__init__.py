"""Human digital twins: the twin store (physical twins, versioned virtual twins, sync
events, model versions; SQLite by default, PostgreSQL by URL).

Example:
    >>> from semcom.twin import TwinStore
    >>> store = TwinStore.create("sqlite://")
    >>> store.add_twin("p1", cluster="Mild Activity")
    >>> store.counts()["twins"]
    1
"""

from __future__ import annotations

from semcom.twin.store import ModelInfo, SyncEventInfo, TwinInfo, TwinStore, VersionInfo

__all__ = ["ModelInfo", "SyncEventInfo", "TwinInfo", "TwinStore", "VersionInfo"]
