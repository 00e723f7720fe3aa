"""Chinese-aware tokenisation in SQL: words for alphabetic scripts, character bigrams for CJK runs.

Consumes a SQL text column; produces SQL expressions that yield a ``VARCHAR[]`` of terms, evaluated by the engine
(vectorised; no Python per row). Chinese, Japanese and Korean text has no spaces, and word segmentation needs a
dictionary; overlapping character bigrams (``香港加油`` → ``香港 港加 加油``) are the standard dictionary-free
substitute and keep most two-character words intact. Elsewhere, words are runs of letters/digits (apostrophes kept),
lower-cased, at least two characters, minus a short stop-word list; URLs, @mentions and #hashtags are removed first
(hashtags and mentions have their own facets). Phrases are consecutive word pairs.

To extend: add stop words to :data:`STOP_WORDS`; a segmenter for another script would be one more ``*_sql``
function appended in :func:`terms_sql`.
"""

from __future__ import annotations

from flockwatch.core.sql import sql_literal
from flockwatch.core.text import without_entities_sql

CJK_CLASS = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}"

STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "do",
        "for",
        "from",
        "has",
        "have",
        "he",
        "her",
        "his",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "it's",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "rt",
        "she",
        "so",
        "that",
        "the",
        "their",
        "them",
        "there",
        "they",
        "this",
        "to",
        "too",
        "up",
        "us",
        "was",
        "we",
        "were",
        "what",
        "when",
        "which",
        "who",
        "will",
        "with",
        "you",
        "your",
        "just",
        "all",
        "about",
        "more",
        "out",
        "via",
        "amp",
        "http",
        "https",
        "co",
        "www",
        "и",
        "в",
        "не",
        "на",
        "что",
        "с",
        "по",
        "как",
        "это",
        "а",
        "к",
        "у",
        "из",
        "за",
        "от",
        "то",
        "же",
        "все",
        "для",
        "о",
        "так",
        "но",
        "ты",
        "вы",
        "мы",
        "он",
        "она",
        "они",
    ]
)


def _clean_sql(col: str) -> str:
    return without_entities_sql(col)


def words_sql(col: str) -> str:
    """Lower-cased non-CJK words of ``col`` (stop words and 1-character tokens removed)."""
    stop = ", ".join(sql_literal(w) for w in sorted(STOP_WORDS))
    no_cjk = f"regexp_replace(lower({_clean_sql(col)}), '[{CJK_CLASS}]+', ' ', 'g')"
    return (
        f"list_filter(regexp_extract_all({no_cjk}, '[\\p{{L}}\\p{{N}}][\\p{{L}}\\p{{N}}''_]*'), "
        f"lambda w: len(w) >= 2 AND NOT list_contains([{stop}], w) AND NOT regexp_matches(w, '^[0-9]+$'))"
    )


def cjk_bigrams_sql(col: str) -> str:
    """Overlapping character bigrams of every CJK run (a one-character run is kept whole)."""
    runs = f"regexp_extract_all({_clean_sql(col)}, '[{CJK_CLASS}]+')"
    return (
        f"flatten(list_transform({runs}, lambda r: CASE WHEN len(r) = 1 THEN [r] ELSE "
        f"list_transform(range(len(r) - 1), lambda i: substr(r, i + 1, 2)) END))"
    )


def phrases_sql(words_col: str) -> str:
    """Consecutive word pairs of a ``VARCHAR[]`` column of words."""
    return (
        f"list_transform(range(greatest(len({words_col}) - 1, 0)), "
        f"lambda i: {words_col}[i + 1] || ' ' || {words_col}[i + 2])"
    )


def terms_sql(col: str, phrases: bool = True) -> str:
    """Words, word pairs (when ``phrases``) and CJK bigrams of ``col`` as one ``VARCHAR[]``.

    For large tables compute :func:`words_sql` once into a column and apply :func:`phrases_sql` to it instead (this
    convenience form evaluates the word split twice)."""
    parts = [words_sql(col), cjk_bigrams_sql(col)]
    if phrases:
        parts.append(phrases_sql(f"({words_sql(col)})"))
    return "list_concat(" + ", ".join(parts) + ")"
