"""The LRU cache and its payload keys."""

from __future__ import annotations

from semcom.serving.cache import LRUCache, payload_key


def test_lru_evicts_the_least_recently_used() -> None:
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recent
    cache.put("c", 3)
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c"), len(cache)) == (1, 3, 2)


def test_zero_entries_disables_the_cache() -> None:
    cache = LRUCache(0)
    cache.put("a", 1)
    assert cache.get("a") is None
    assert len(cache) == 0


def test_payload_keys_do_not_collide_across_splits() -> None:
    assert payload_key(b"ab", b"c") != payload_key(b"a", b"bc")
    assert payload_key(b"x") == payload_key(b"x")
    assert len(payload_key(b"x")) == 64
