"""An LRU cache of results keyed by a payload hash, with in-flight coalescing.

Identical requests (same endpoint, symbols, SNR, CSI, ...) are answered once: a request
that finds its key computed gets the cached result (a *hit*); one that finds it being
computed awaits the same future (also a hit); the others compute it (a *miss*). The
refiner is stochastic, so a hit returns the first draw for that payload.

Example:
    >>> from semcom.serving.cache import LRUCache, payload_key
    >>> cache = LRUCache(max_entries=2)
    >>> for i, name in enumerate([b"a", b"b", b"c"]):
    ...     cache.put(payload_key(name), i)
    >>> cache.get(payload_key(b"a")) is None, cache.get(payload_key(b"c"))
    (True, 2)
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any


def payload_key(*parts: bytes) -> str:
    """SHA-256 (hex) over length-prefixed ``parts``, so that no two splits collide."""
    h = hashlib.sha256()
    for p in parts:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.hexdigest()


class LRUCache:
    """Least-recently-used map from key to result; ``max_entries`` 0 disables it.

    Used from the event loop only (not thread-safe, needs no lock).
    """

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[str, Any] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str) -> Any | None:
        """The cached result, refreshed as most recent, or ``None``."""
        if key not in self._data:
            return None
        self._data.move_to_end(key)
        return self._data[key]

    def put(self, key: str, value: Any) -> None:
        """Store ``value``; evicts the least recently used entry beyond ``max_entries``."""
        if self.max_entries <= 0:
            return
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)
