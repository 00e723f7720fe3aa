"""Text fingerprints: what two platforms can compare about a post without agreeing on an engine or a hash seed.

Consumes post text (a Python ``str``, or a SQL expression for a text column); produces
- :func:`exact_fingerprint` — SHA-256 (hex) of the normalised text (core.text), so a copy with other URLs,
  mentions, case or punctuation is the same fingerprint;
- :func:`minhash` — a one-permutation MinHash signature of ``MINHASH_BINS`` bins over character shingles of
  ``SHINGLE_CHARS`` characters of the normalised text (characters, not words: Chinese has no spaces), each shingle
  hashed with MD5 (the low 64 bits, little-endian) — MD5 here is a stable, portable mixing function that every
  engine has, not a security measure; a bin no shingle fell into is ``None``;
- :func:`minhash_similarity` — the share of bins, among those filled in both, holding the same minimum (an
  estimate of the Jaccard similarity of the shingle sets);
- :func:`minhash_sql` — the same signature computed inside the engine (one row per text and bin), so a 1M-account
  workspace is fingerprinted where the data lives. tests/core checks that both renderings agree.

The detector ``co_near_text`` uses the engine's own ``hash()``, which is fast but differs between engines and
versions; a fingerprint that leaves the platform (a tip) must be reproducible by the peer, hence MD5.
"""

from __future__ import annotations

import hashlib

from flockwatch.core.text import normalise_text, normalised_text_sql

SHINGLE_CHARS = 4
MINHASH_BINS = 16
#: texts shorter than this (normalised) are too generic to fingerprint ("thank you", "lol")
MIN_TEXT_CHARS = 25
_MASK64 = (1 << 64) - 1


def _h64(shingle: str) -> int:
    return int.from_bytes(hashlib.md5(shingle.encode("utf-8")).digest()[:8], "little")


def exact_fingerprint(text: str | None) -> str | None:
    """SHA-256 hex of the normalised text; None when it is shorter than ``MIN_TEXT_CHARS``."""
    nt = normalise_text(text)
    if len(nt) < MIN_TEXT_CHARS:
        return None
    return hashlib.sha256(nt.encode("utf-8")).hexdigest()


def minhash(text: str | None) -> list[int | None] | None:
    """The MinHash signature of ``text`` (module docstring); None when it is too short to fingerprint."""
    nt = normalise_text(text)
    if len(nt) < MIN_TEXT_CHARS:
        return None
    mins: list[int | None] = [None] * MINHASH_BINS
    for i in range(len(nt) - SHINGLE_CHARS + 1):
        h = _h64(nt[i : i + SHINGLE_CHARS])
        b, m = h % MINHASH_BINS, h // MINHASH_BINS
        cur = mins[b]
        if cur is None or m < cur:
            mins[b] = m
    return mins


def minhash_similarity(a: list[int | None], b: list[int | None]) -> float:
    """Share of bins filled in both signatures that hold the same minimum (0 when none is filled in both)."""
    both = [(x, y) for x, y in zip(a, b, strict=True) if x is not None and y is not None]
    return sum(1 for x, y in both if x == y) / len(both) if both else 0.0


def encode_minhash(sig: list[int | None]) -> str:
    """``v1:`` then the bins as hex, ``-`` for an empty bin, separated by ``.`` (how a tip carries it)."""
    return "v1:" + ".".join("-" if m is None else format(m, "x") for m in sig)


def decode_minhash(text: str) -> list[int | None]:
    """Inverse of :func:`encode_minhash`; a ``ValueError`` that says what is wrong otherwise."""
    if not text.startswith("v1:"):
        raise ValueError(f"minhash signature must start with 'v1:', got {text[:12]!r}")
    parts = text[3:].split(".")
    if len(parts) != MINHASH_BINS:
        raise ValueError(f"minhash signature needs {MINHASH_BINS} bins, got {len(parts)}")
    out: list[int | None] = []
    for p in parts:
        if p == "-":
            out.append(None)
            continue
        v = int(p, 16)
        if not 0 <= v <= _MASK64:
            raise ValueError(f"minhash bin out of range: {p!r}")
        out.append(v)
    return out


def minhash_sql(texts_relation: str, key: str = "key", text: str = "text") -> str:
    """SQL yielding ``(key, bin, m)`` — the filled bins of each text's signature — for the rows of
    ``texts_relation`` (a relation with columns ``key`` and ``text``); texts too short to fingerprint yield nothing."""
    norm = normalised_text_sql(text)
    k = SHINGLE_CHARS
    return f"""
WITH t AS (
  SELECT {key} AS key, {norm} AS nt FROM {texts_relation} WHERE {text} IS NOT NULL
), s AS (
  SELECT key, CAST(md5_number(substr(nt, i, {k})) % 18446744073709551616 AS UBIGINT) AS h
  FROM (SELECT key, nt, unnest(range(1, length(nt) - {k} + 2)) AS i FROM t WHERE length(nt) >= {MIN_TEXT_CHARS})
)
SELECT key, CAST(h % {MINHASH_BINS} AS INTEGER) AS bin, min(h // {MINHASH_BINS}) AS m FROM s GROUP BY key, bin"""


def exact_fingerprint_sql(text_sql: str = "text") -> str:
    """SQL form of :func:`exact_fingerprint`."""
    norm = normalised_text_sql(text_sql)
    return f"CASE WHEN length({norm}) >= {MIN_TEXT_CHARS} THEN sha256({norm}) END"
