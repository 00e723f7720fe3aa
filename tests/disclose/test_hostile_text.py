"""Property tests: whatever text surrounds or disguises a protected handle or id, the scrubbed text holds none of
them in any form the leak search knows (case, NFKC, HTML entities, %-escapes), and text without a protected token
is left as written."""

from __future__ import annotations

import html
import urllib.parse

from hypothesis import given, settings
from hypothesis import strategies as st

from flockwatch.disclose.leaks import search_text
from flockwatch.disclose.pseudonyms import Protection

HANDLES = ["alice_b", "Zed99", "hk_voice_2019", "x"]
IDS = ["1130000000000000777", "436023646144534221"]
PROTECTION = Protection(5000, by_token={h.lower(): f"p{i:031d}" for i, h in enumerate(HANDLES + IDS)})
VALUES = {h.lower() for h in HANDLES + IDS}


def _fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def _entities(s: str) -> str:
    return "".join(f"&#{ord(c)};" for c in s)


def _percent(s: str) -> str:
    return "".join(f"%{ord(c):02X}" for c in s)


DISGUISES = [
    lambda s: s,
    str.upper,
    str.swapcase,
    _fullwidth,
    _entities,
    _percent,
    lambda s: html.escape("@" + s),
    lambda s: urllib.parse.quote("@" + s),
    lambda s: "https://twitter.com/" + s + "/status/1",
    lambda s: "x.com/intent/user?user_id=" + s,
    lambda s: "＠" + _fullwidth(s),
    lambda s: _percent(_entities(s)),
]

noise = st.text(alphabet=st.characters(blacklist_categories=("Cs",), max_codepoint=0x2FFFF), max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    before=noise,
    after=noise,
    value=st.sampled_from(HANDLES + IDS),
    disguise=st.sampled_from(DISGUISES),
    glue=st.sampled_from(["", " ", "@", "请看", "\n", "#", "<b>", "&amp;", "%20", "\u200b", "，"]),
)
def test_no_protected_value_survives_scrubbing(before, after, value, disguise, glue):
    text = before + glue + disguise(value) + glue + after
    scrubbed = PROTECTION.scrub(text) or ""
    hits = [v for _, v, _ in search_text(scrubbed, VALUES)]
    # the noise itself may spell a protected value next to the disguise (e.g. "x"): then it must be gone as well
    assert hits == [], (text, scrubbed)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80))
def test_plain_text_without_protected_tokens_is_untouched(text):
    if list(search_text(text, VALUES)) or "&" in text or "%" in text:
        return
    assert PROTECTION.scrub(text) == text
