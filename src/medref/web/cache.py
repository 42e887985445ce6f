"""A small thread-safe LRU cache for pages that are costly to build (drug monographs, documents).

Entries are keyed by the corpus version (:func:`corpus_version`, the store's passage change-log
watermark that the index sync also uses) plus whatever else the page depends on, so an ingest
that adds or removes passages makes every older entry unreachable; the LRU bound then drops them.
What is cached is the built domain object, never a rendered page: the review state shown with it
is read fresh on every request.

Caches in use (each on ``app.state``):

* ``monograph_cache`` -- built monographs, made by ``create_app`` (``cache_size`` entries), keyed
  by (corpus version, drug, audience, index open, builder); see :mod:`medref.web.routes.monographs`.
* ``document_cache`` -- the data object of a stored document's page (metadata, passages, the
  other stored versions of a label), keyed by (corpus version, uid); made on first use by
  :func:`app_cache` (:data:`DOCUMENT_CACHE_SIZE` entries). The highlight a request asks for is
  applied to a copy, so one cached object serves every highlight and both twins of the page; see
  :mod:`medref.web.routes.documents`. Re-ingesting a document (even with new metadata only)
  replaces its passages, which moves the watermark, so an edited record is never served stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from medref.index.sync import store_watermark
from medref.store.repository import Store

V = TypeVar("V")

DEFAULT_SIZE = 256
#: Document pages kept: a drug label's page holds its whole text (tens of kilobytes), so fewer.
DOCUMENT_CACHE_SIZE = 128
_APP_CACHES_LOCK = threading.Lock()


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0


class LRUCache(Generic[V]):
    """At most ``size`` values, least recently used dropped first; builds run outside the lock."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 1:
            raise ValueError("cache size must be at least 1")
        self.size = size
        self.stats = CacheStats()
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get_or_build(self, key: Hashable, build: Callable[[], V]) -> V:
        """The cached value for ``key``, else ``build()`` stored under it (errors are not cached)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.stats.hits += 1
                return self._items[key]
            self.stats.misses += 1
        value = build()  # two threads may build the same key at once; the last one stored wins
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def corpus_version(store: Store) -> int:
    """The store's passage change-log watermark: it moves whenever a passage is added or removed."""
    return store_watermark(store)


def app_cache(app: Any, name: str, size: int = DEFAULT_SIZE) -> LRUCache[Any]:
    """The LRU cache kept on ``app.state`` under ``name``, made (with ``size`` entries) on first use."""
    cache: LRUCache[Any] | None = getattr(app.state, name, None)
    if cache is None:
        with _APP_CACHES_LOCK:
            cache = getattr(app.state, name, None)
            if cache is None:
                cache = LRUCache[Any](size)
                setattr(app.state, name, cache)
    return cache
