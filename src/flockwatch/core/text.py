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

- an **identifier token** (what a handle or a numeric id looks like inside any text: ``@alice``, ``x.com/alice``,
  ``user_id=123``, ``请看alice``) is a maximal run of characters whose NFKC form is ASCII letters, digits or ``_``
  — so full-width ``ａｌｉｃｅ``, mathematical ``𝐚𝐥𝐢𝐜𝐞`` and ``alice`` next to CJK text are tokens too; its key is
  the NFKC form, lower-cased. Disclosure replaces protected tokens by pseudonyms (:func:`replace_id_tokens`), and
  also a protected ASCII run inside a longer token (``alice_bª`` reads ``alice_b`` + a letter as written).
- **decoded text** undoes HTML entities and %-escapes (repeatedly, a few rounds), so that ``&#64;alice`` and
  ``%61lice`` cannot hide a handle from a search (:func:`decode_escapes`).

To change a rule, change the pattern here: both renderings follow, and tests/core/test_text.py says whether they
still agree.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
import urllib.parse
from collections.abc import Mapping

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

#: Normalisation after lower-casing: the ``rt @x:`` prefix goes, then one pass turns every run of URLs, @mentions,
#: punctuation and spaces into one space (then trim). The rules read as four passes (URLs, then mentions, then
#: punctuation become a space; runs of spaces collapse), and one pass is the same: every rule replaces with a space
#: and spaces then collapse, so the result only depends on which characters end up blanked, and the alternation
#: blanks the same ones (a URL is tried before a mention, and a mention before punctuation, which includes ``@``;
#: the four-pass form is kept in tests/core/test_text.py as the reference). One regular expression pass instead of
#: four: on 1.5M distinct texts of the hk2019 simulation 4.5 -> 3.4 s in DuckDB.
_NORMALISE_STEPS: tuple[tuple[str, str], ...] = (
    (r"^rt @[^ :]+:?", ""),
    (
        rf"(?:https?://[^{_SPACE}]+|[{_AT}][^{_SPACE}]+|[{_ASCII_PUNCT}{_WIDE_PUNCT}]|[{_SPACE}])+",
        " ",
    ),
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


# -- identifier tokens (disclosure's pseudonymisation and its leak search) ---------------------------------------------
#: code points searched for compatibility forms of ASCII word characters (BMP, the supplementary planes' mathematical
#: alphanumerics and enclosed forms); anything above holds none.
_COMPAT_SCAN_LIMIT = 0x20000
_ASCII_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_DECODE_ROUNDS = 3


@functools.cache
def _id_token_rx() -> regex.Pattern[str]:
    """The identifier-token pattern: built once, on first use (it scans the compatibility forms of Unicode)."""
    extra = []
    for cp in range(0x80, _COMPAT_SCAN_LIMIT):
        ch = chr(cp)
        folded = unicodedata.normalize("NFKC", ch)
        if folded and folded != ch and all(c in _ASCII_WORD for c in folded):
            extra.append(ch)
    # contiguous code points as ranges: a class of single characters thousands long makes every match slow
    ranges: list[tuple[int, int]] = []
    for cp in map(ord, extra):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    cls = "A-Za-z0-9_" + "".join(
        regex.escape(chr(a)) if a == b else f"{regex.escape(chr(a))}-{regex.escape(chr(b))}" for a, b in ranges
    )
    return regex.compile(f"[{cls}]+")


def id_token_key(token: str) -> str:
    """The key of an identifier token: NFKC, lower-cased (``ＡＬＩＣＥ`` → ``alice``)."""
    return (token if token.isascii() else unicodedata.normalize("NFKC", token)).lower()


def id_tokens(text: str | None) -> list[str]:
    """The identifier tokens of ``text``, as written, in order (module docstring)."""
    if not text:
        return []
    return _id_token_rx().findall(text)


def decode_escapes(text: str) -> str:
    """``text`` with HTML entities and %-escapes undone, until stable (at most a few rounds)."""
    for _ in range(_DECODE_ROUNDS):
        if "&" not in text and "%" not in text:
            break
        decoded = urllib.parse.unquote(html.unescape(text))
        if decoded == text:
            break
        text = decoded
    return text


_ASCII_TOKEN_RX = re.compile(r"[a-z0-9_]+")  # on case-folded text
_ASCII_RUN_RX = re.compile(r"[A-Za-z0-9_]+")


def replace_id_tokens(text: str | None, pseudonyms: Mapping[str, str]) -> str | None:
    """``text`` (escapes decoded first: an encoded handle must not survive) with every identifier token whose key is
    in ``pseudonyms`` replaced by its value; other tokens stay as written.

    Cheapest first, because a release rewrites millions of posts: a set test on the ASCII runs of the text as
    written and of its NFKC form returns most texts unchanged; plain ASCII runs are replaced with a simple pattern;
    only text that still holds a protected value in compatibility form goes through the full token pattern."""
    if not text:
        return text
    if "&" in text or "%" in text:
        text = decode_escapes(text)
    keys = pseudonyms.keys()

    def hits(t: str) -> bool:
        if not keys.isdisjoint(_ASCII_TOKEN_RX.findall(t.casefold())):
            return True
        return not t.isascii() and not keys.isdisjoint(
            _ASCII_TOKEN_RX.findall(unicodedata.normalize("NFKC", t).casefold())
        )

    if not hits(text):
        return text

    def ascii_run(r: re.Match[str]) -> str:
        return pseudonyms.get(r.group(0).lower(), r.group(0))

    def token(m: regex.Match[str]) -> str:
        return pseudonyms.get(id_token_key(m.group(0)), m.group(0))

    # as written, ``alice_bª`` reads ``alice_b`` followed by a letter (NFKC makes it ``alice_ba``): runs first
    result: str = _ASCII_RUN_RX.sub(ascii_run, text)
    if not hits(result):
        return result
    result = _id_token_rx().sub(token, result)
    # A character whose compatibility form is punctuation *and* letters (``⒳`` → ``(x)``, ``ß`` → ``ss`` when
    # case-folded) can still spell a protected value once the text is normalised: then the normalised text is the
    # one published. Rare, and fidelity gives way.
    for fold in (False, True):
        if not hits(result):
            return result
        normal = unicodedata.normalize("NFKC", result)
        result = _ASCII_RUN_RX.sub(ascii_run, _id_token_rx().sub(token, normal.casefold() if fold else normal))
    return result
