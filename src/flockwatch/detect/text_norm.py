"""SQL expressions that normalise post text, shared by ``co_text`` and ``co_near_text``.

Consumes a SQL expression for the raw text; produces a SQL expression for its normalised form: lower case, URLs and
@mentions removed, a leading retweet marker removed, ASCII and CJK punctuation removed, whitespace collapsed.
Letters of every script are kept (Chinese, Cyrillic, Swedish ...), which is why the class is spelled with POSIX
``[:punct:]`` plus the CJK punctuation blocks instead of ``\\W`` (RE2's ``\\w`` is ASCII-only).
"""

from __future__ import annotations


def normalised_text_sql(text_sql: str = "text") -> str:
    x = f"lower({text_sql})"
    x = f"regexp_replace({x}, '^rt @[^ :]+:?', '', 'g')"
    x = f"regexp_replace({x}, 'https?://[^[:space:]]+', ' ', 'g')"
    x = f"regexp_replace({x}, '@[^[:space:]]+', ' ', 'g')"
    cjk_punct = "\\x{3000}-\\x{303F}\\x{FF00}-\\x{FF65}\\x{2010}-\\x{206F}"
    x = f"regexp_replace({x}, '[[:punct:]{cjk_punct}]', ' ', 'g')"
    x = f"regexp_replace({x}, '[[:space:]]+', ' ', 'g')"
    return f"trim({x})"
