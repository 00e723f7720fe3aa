"""Text: normalised post text, and the hashtags, @mentions and URLs written in it — Unicode-aware, one pattern each.

Consumes post text (a Python ``str``, or a SQL expression for a text column); produces normalised text, lists of
entities, or SQL expressions for them. Every pattern below is written once and used by both renderings: DuckDB's
RE2 and Python's ``regex`` module read the same syntax for what is used here (``\\p{L}`` letters, ``\\p{M}``
marks, ``\\p{Nd}`` digits, literal non-ASCII characters), and Spark's Java regex does too. ``\\w`` is never used:
it is ASCII-only in RE2, and a hashtag in Chinese, Russian or Arabic would silently vanish.

Rules (twitter-text's are the reference, tested against its own extractor in tests/core):
- a **hashtag** is ``#`` or full-width ``＃``, not preceded by a letter, digit, mark, ``_`` or ``&`` (HTML entities),
  followed by letters, marks, digits, ``_`` and twitter-text's joiners (ZWJ/ZWNJ, Japanese middle dot, Hebrew
  geresh ...), with at least one letter (``#123`` is not a hashtag); a hashtag followed by another ``#`` or by
  ``://`` is none; hashtags inside URLs (``example.com/#frag``) are none. Its key is the lower-cased tag.
- a **mention** is ``@`` or ``＠`` not preceded by a letter/digit/mark/``_`` or one of ``!#$%&*@＠`` (so ``a@b.com``
  is an address, not a mention), ``RT@x`` is one; followed by letters, marks, digits and ``_``. Unlike
  twitter-text, letters of every script count (VK, Telegram display names and archive text carry ``@Вася_Пупкин``);
  a mention followed by ``@`` or ``://`` is none. Kept as written (handles compare case-insensitively elsewhere).
- a **URL** in text is ``http(s)://`` up to whitespace, quotes or angle brackets, minus trailing punctuation.
- **normalised text** (the target of ``co_text``/``co_near_text``; the input of expansion's text links): lower
  case, a leading ``rt @x:`` removed, URLs and @mentions removed, ASCII and CJK/general punctuation removed,
  whitespace (ASCII and Unicode spaces) collapsed, trimmed. Letters of every script are kept.

To change a rule, change the pattern here: both renderings follow, and tests/core/test_text.py says whether they
still agree.
"""

from __future__ import annotations

import regex

# -- character classes (inside [...]) -------------------------------------------------------------------------------
#: twitter-text's extra hashtag characters: _ ZWNJ ZWJ, Cyrillic pokrytie, Hebrew maqaf/geresh/gershayim, wave dash,
#: Japanese sound marks and middle dots, ditto mark, Tibetan tsheg, middle dot.
_HASHTAG_JOINERS = "_\u200c\u200d\ua67e\u05be\u05f3\u05f4\uff5e\u301c\u309b\u309c\u30a0\u30fb\u3003\u0f0b\u0f0c\u00b7"
_WORD = r"\p{L}\p{M}\p{Nd}"
_HASHTAG_CHARS = _WORD + _HASHTAG_JOINERS
_HASH = "#\uff03"
_AT = "@\uff20"
_ASCII_PUNCT = r"!-/:-@\[-`{-~"
#: Ideographic/CJK punctuation, full-width forms' punctuation, general punctuation (dashes, quotes, ellipsis ...).
_WIDE_PUNCT = "\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2010-\u206f"
_SPACE = "\t\n\x0b\x0c\r \u00a0\u1680\u2000-\u200a\u3000"

# -- patterns (shared by SQL and Python) ------------------------------------------------------------------------------
URL_PATTERN = r"https?://[^\t\n\x0b\x0c\r <>\"']+"
#: characters a URL found in running text does not end with
URL_TRAILING = ".,;:!?)\u2026"

HASHTAG_PATTERN = (
    rf"(?:^|[^{_HASHTAG_CHARS}&])[{_HASH}]([\p{{Nd}}{_HASHTAG_JOINERS}]*\p{{L}}[{_HASHTAG_CHARS}]*)([{_HASH}]|://)?"
)
_HASHTAG_BODY = rf"[{_HASH}]([\p{{Nd}}{_HASHTAG_JOINERS}]*\p{{L}}[{_HASHTAG_CHARS}]*)"

MENTION_PATTERN = rf"(?:^|[^{_WORD}_!#$%&*{_AT}]|(?:^|[^{_WORD}_+~.-])[rR][tT]:?)[{_AT}]([{_WORD}_]+)([{_AT}]|://)?"
_MENTION_BODY = rf"[{_AT}]([{_WORD}_]+)"
#: the ``RT @handle:`` prefix a retweet's text carries in archives without a retweet column (group 1: the handle)
RETWEET_PREFIX_PATTERN = rf"^RT [{_AT}]([{_WORD}_]+):"
#: a match whose tail group caught one of these is not an entity (``#a#b``, ``@a@b``, ``#x://``)
_BAD_TAIL = rf"(?:[{_HASH}{_AT}]|://)$"

_URL_RX = regex.compile(URL_PATTERN)
_HASHTAG_RX = regex.compile(HASHTAG_PATTERN)
_MENTION_RX = regex.compile(MENTION_PATTERN)
_ENTITY_MARKED = rf"[{_HASH}{_AT}][{_HASHTAG_CHARS}]+"

_NORMALISE_STEPS: tuple[tuple[str, str], ...] = (
    (r"^rt @[^ :]+:?", ""),
    (r"https?://[^" + _SPACE + r"]+", " "),
    (r"[" + _AT + r"][^" + _SPACE + r"]+", " "),
    (r"[" + _ASCII_PUNCT + _WIDE_PUNCT + r"]", " "),
    (r"[" + _SPACE + r"]+", " "),
)
_NORMALISE_RX = tuple((regex.compile(p), r) for p, r in _NORMALISE_STEPS)


# -- Python -----------------------------------------------------------------------------------------------------------
def urls_in(text: str | None) -> list[str]:
    """URLs written in ``text``, in order (trailing punctuation removed)."""
    if not text:
        return []
    return [u for u in (m.rstrip(URL_TRAILING) for m in _URL_RX.findall(text)) if u]


def _without_urls(text: str) -> str:
    return _URL_RX.sub(" ", text)


def hashtags_in(text: str | None) -> list[str]:
    """Hashtags written in ``text`` as written (without ``#``), in order; see the module docstring for the rule."""
    if not text:
        return []
    return [m.group(1) for m in _HASHTAG_RX.finditer(_without_urls(text)) if not m.group(2)]


def mentions_in(text: str | None) -> list[str]:
    """@mentions written in ``text`` as written (without ``@``), in order."""
    if not text:
        return []
    return [m.group(1) for m in _MENTION_RX.finditer(_without_urls(text)) if not m.group(2)]


def hashtag_key(tag: str) -> str:
    """The stored form of a hashtag: without ``#``/``＃``, lower-cased (``#HongKong`` → ``hongkong``)."""
    return tag.lstrip(_HASH).lower()


def mention_key(handle: str) -> str:
    """The stored form of a mention written in text: without ``@``/``＠``, as written."""
    return handle.lstrip(_AT)


def normalise_text(text: str | None) -> str:
    """The normalised form of post text (module docstring); ``""`` for no text."""
    if not text:
        return ""
    x = text.lower()
    for rx, repl in _NORMALISE_RX:
        x = rx.sub(repl, x)
    return x.strip(" ")


# -- SQL (DuckDB dialect; the patterns transpile unchanged to Spark's regexp functions) ----------------------------------
def _lit(pattern: str) -> str:
    return "'" + pattern.replace("'", "''") + "'"


def urls_in_sql(text_sql: str) -> str:
    """A ``VARCHAR[]`` of the URLs in ``text_sql`` (trailing punctuation is trimmed by :func:`url_trim_sql`)."""
    return f"regexp_extract_all({text_sql}, {_lit(URL_PATTERN)})"


def url_trim_sql(url_sql: str) -> str:
    return f"rtrim({url_sql}, {_lit(URL_TRAILING)})"


def _without_urls_sql(text_sql: str) -> str:
    return f"regexp_replace({text_sql}, {_lit(URL_PATTERN)}, ' ', 'g')"


def hashtag_matches_sql(text_sql: str) -> str:
    """A ``VARCHAR[]`` of raw hashtag matches in ``text_sql``; unnest it, keep rows where
    :func:`entity_match_ok_sql` holds and take :func:`hashtag_from_match_sql` (plain SQL, no list lambdas)."""
    return f"regexp_extract_all({_without_urls_sql(text_sql)}, {_lit(HASHTAG_PATTERN)})"


def mention_matches_sql(text_sql: str) -> str:
    """A ``VARCHAR[]`` of raw mention matches in ``text_sql`` (see :func:`hashtag_matches_sql`)."""
    return f"regexp_extract_all({_without_urls_sql(text_sql)}, {_lit(MENTION_PATTERN)})"


def entity_match_ok_sql(match_sql: str) -> str:
    """True for a raw hashtag/mention match that is an entity (not followed by ``#``, ``@`` or ``://``)."""
    return f"NOT regexp_matches({match_sql}, {_lit(_BAD_TAIL)})"


def hashtag_from_match_sql(match_sql: str) -> str:
    """The hashtag key (lower-cased, no ``#``) of a raw match."""
    return f"lower(regexp_extract({match_sql}, {_lit(_HASHTAG_BODY)}, 1))"


def mention_from_match_sql(match_sql: str) -> str:
    """The mention (as written, no ``@``) of a raw match."""
    return f"regexp_extract({match_sql}, {_lit(_MENTION_BODY)}, 1)"


def retweeted_handle_sql(text_sql: str) -> str:
    """The handle in a leading ``RT @handle:`` of ``text_sql`` (NULL when the text is no such retweet)."""
    return f"nullif(regexp_extract({text_sql}, {_lit(RETWEET_PREFIX_PATTERN)}, 1), '')"


def hashtag_key_sql(tag_sql: str) -> str:
    """SQL form of :func:`hashtag_key`."""
    return f"lower(ltrim({tag_sql}, {_lit(_HASH)}))"


def mention_key_sql(handle_sql: str) -> str:
    """SQL form of :func:`mention_key`."""
    return f"ltrim({handle_sql}, {_lit(_AT)})"


def without_entities_sql(text_sql: str) -> str:
    """``text_sql`` with URLs, hashtags and @mentions blanked out (words for narratives; entities have facets)."""
    no_urls = _without_urls_sql(f"coalesce({text_sql}, '')")
    return f"regexp_replace({no_urls}, {_lit(_ENTITY_MARKED)}, ' ', 'g')"


def normalised_text_sql(text_sql: str = "text") -> str:
    """SQL form of :func:`normalise_text` (NULL text stays NULL)."""
    x = f"lower({text_sql})"
    for pattern, repl in _NORMALISE_STEPS:
        x = f"regexp_replace({x}, {_lit(pattern)}, {_lit(repl)}, 'g')"
    return f"trim({x})"
