"""An in-memory chunk of simulated actions, built by the organic and operation generators.

Consumes column arrays from the generators; produces one columnar :class:`Batch` whose references (``target``) are
row indices inside the same batch, so a chunk is self-contained and can be written and dropped. Text bodies,
hashtag lists and URL lists are Arrow string arrays; everything else is numpy. The writer (``writer.py``) turns a
batch into archive rows; ``truth.py`` reads ``tactic`` / ``author`` to record who did what.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

POST, REPOST, REPLY, QUOTE = 0, 1, 2, 3
EMPTY_LIST = pa.scalar("[]", pa.string())
CLIENTS = (
    "Twitter for iPhone",
    "Twitter for Android",
    "Twitter Web App",
    "Twitter for iPad",
    "TweetDeck",
    "Twitter Web Client",
)
ORGANIC_CLIENT_P = np.array([0.42, 0.33, 0.18, 0.04, 0.03, 0.0])
OP_CLIENT_P = np.array([0.2, 0.3, 0.15, 0.0, 0.05, 0.3])


@dataclass
class Batch:
    author: list[np.ndarray] = field(default_factory=list)
    t_s: list[np.ndarray] = field(default_factory=list)
    kind: list[np.ndarray] = field(default_factory=list)
    target: list[np.ndarray] = field(default_factory=list)
    mention: list[np.ndarray] = field(default_factory=list)
    lang: list[np.ndarray] = field(default_factory=list)
    client: list[np.ndarray] = field(default_factory=list)
    tactic: list[np.ndarray] = field(default_factory=list)
    body: list[pa.Array] = field(default_factory=list)
    hashtags: list[pa.Array] = field(default_factory=list)
    urls: list[pa.Array] = field(default_factory=list)
    n: int = 0
    _cache: dict = field(default_factory=dict, repr=False)

    def add(
        self,
        author: np.ndarray,
        t_s: np.ndarray,
        kind: int | np.ndarray,
        lang: np.ndarray,
        client: np.ndarray,
        target: np.ndarray | None = None,
        body: pa.Array | None = None,
        hashtags: pa.Array | None = None,
        urls: pa.Array | None = None,
        mention: np.ndarray | None = None,
        tactic: int = -1,
    ) -> int:
        """Append rows; returns the batch row index of the first one (for later references)."""
        m = int(np.asarray(author).size)
        if m == 0:
            return self.n
        full = lambda v, dt: np.full(m, v, dt) if np.ndim(v) == 0 else np.asarray(v, dt)  # noqa: E731
        self.author.append(full(author, np.int64))
        self.t_s.append(full(t_s, np.int64))
        self.kind.append(full(kind, np.int8))
        self.target.append(full(-1 if target is None else target, np.int64))
        self.mention.append(full(-1 if mention is None else mention, np.int64))
        self.lang.append(full(lang, np.int8))
        self.client.append(full(client, np.int8))
        self.tactic.append(full(tactic, np.int8))
        self.body.append(body if body is not None else pa.nulls(m, pa.string()))
        self.hashtags.append(hashtags if hashtags is not None else pa.repeat(EMPTY_LIST, m))
        self.urls.append(urls if urls is not None else pa.repeat(EMPTY_LIST, m))
        start = self.n
        self.n += m
        self._cache.clear()
        return start

    def column(self, name: str) -> np.ndarray:
        """All values of a numeric column (cached until the next ``add``; callers must not modify it)."""
        if name not in self._cache:
            parts = getattr(self, name)
            self._cache[name] = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        return self._cache[name]

    def arrow(self, name: str) -> pa.Array:
        parts = getattr(self, name)
        return pa.concat_arrays([p.cast(pa.string()) for p in parts]) if parts else pa.array([], pa.string())
