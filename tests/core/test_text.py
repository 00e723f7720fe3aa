"""Contract of core.text: hashtags, mentions, URLs and normalised text — the Python and SQL renderings agree, on
multilingual cases, and hashtags follow twitter-text's own extractor (the reference)."""

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twitter_text import Extractor

from flockwatch.core import text as T

# (text, hashtags as written, mentions as written)
CASES = [
    ("支持 #香港警察 今天 @Вася_Пупкин", ["香港警察"], ["Вася_Пупкин"]),
    ("#Россия #الصين ＃全角タグ #HK", ["Россия", "الصين", "全角タグ", "HK"], []),
    ("RT @user: some text #Tag", ["Tag"], ["user"]),
    ("RT@foo: x", [], ["foo"]),
    ("#123 is no hashtag, #1st is", ["1st"], []),
    ("#a#b and @a@b are neither", [], []),
    ("mail me at x@y.com", [], []),
    ("http://example.com/#frag is a URL, not a tag", [], []),
    ("emoji 😀#tag and #️⃣ keycap", ["tag"], []),
    ("&#39;s is an HTML entity", [], []),
    ("#hello,#world! (#paren)", ["hello", "world", "paren"], []),
    ("a#b c #_x", ["_x"], []),
    ("＠全角 and @ascii_1", [], ["全角", "ascii_1"]),
    ("", [], []),
    ("#हिन्दी मराठी #தமிழ்", ["हिन्दी", "தமிழ்"], []),  # combining marks inside Indic tags
]


_SHARED = duckdb.connect()


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    yield c
    c.close()


def _sql_entities(con, text: str) -> tuple[list[str], list[str]]:
    tags = con.execute(
        f"SELECT {T.hashtag_from_match_sql('m')} FROM (SELECT unnest({T.hashtag_matches_sql('?')}) AS m) "
        f"WHERE {T.entity_match_ok_sql('m')}",
        [text],
    ).fetchall()
    ments = con.execute(
        f"SELECT {T.mention_from_match_sql('m')} FROM (SELECT unnest({T.mention_matches_sql('?')}) AS m) "
        f"WHERE {T.entity_match_ok_sql('m')}",
        [text],
    ).fetchall()
    return [r[0] for r in tags], [r[0] for r in ments]


@pytest.mark.parametrize(("text", "tags", "mentions"), CASES)
def test_python_extraction(text, tags, mentions):
    assert T.hashtags_in(text) == tags
    assert T.mentions_in(text) == mentions


@pytest.mark.parametrize(("text", "tags", "mentions"), CASES)
def test_sql_extraction_agrees_with_python(con, text, tags, mentions):
    sql_tags, sql_mentions = _sql_entities(con, text)
    assert sql_tags == [T.hashtag_key(t) for t in tags]
    assert sql_mentions == mentions


#: where the Python port of twitter-text (2017) lags the current rules, which count combining marks (\p{M}) as part
#: of a hashtag — Indic scripts are written with them
_PORT_LAGS = {CASES[-1][0]}


@pytest.mark.parametrize(("text", "tags", "mentions"), [c for c in CASES if c[0] not in _PORT_LAGS])
def test_hashtags_follow_twitter_text(text, tags, mentions):
    assert T.hashtags_in(text) == Extractor(text).extract_hashtags()


def test_mentions_follow_twitter_text_on_latin_handles():
    # twitter-text allows only ASCII handles; on those, both extract the same
    for text in ("@alice hi @bob_2", "RT @a: x", "x@y.com @z", "hi @a@b", ".@lead dot"):
        assert T.mentions_in(text) == Extractor(text).extract_mentioned_screen_names()


def test_urls_in_text():
    assert T.urls_in("see https://t.co/abc, and http://example.com/x?y=1.") == [
        "https://t.co/abc",
        "http://example.com/x?y=1",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "RT @abc: Hello,   WORLD!! https://t.co/x @d 你好。",
        "Привет, МИР! «цитата» — тире",
        "ＦＵＬＬ　ＷＩＤＴＨ！",
        "مرحبا، العالم؟",
        "tabs\tand\nnewlines\u00a0nbsp",
    ],
)
def test_normalised_text_sql_agrees_with_python(con, text):
    sql = con.execute(f"SELECT {T.normalised_text_sql('?')}", [text]).fetchone()[0]
    assert sql == T.normalise_text(text)


# The rules of normalised text as four passes (core/text.py does them in one): the reference the one pass must meet.
_FOUR_PASSES = (
    (r"^rt @[^ :]+:?", ""),
    (r"https?://[^" + T._SPACE + r"]+", " "),
    (r"[" + T._AT + r"][^" + T._SPACE + r"]+", " "),
    (r"[" + T._ASCII_PUNCT + T._WIDE_PUNCT + r"]", " "),
    (r"[" + T._SPACE + r"]+", " "),
)


def _normalised_in_four_passes(text: str) -> str:
    import regex

    x = text.lower()
    for pattern, repl in _FOUR_PASSES:
        x = regex.sub(pattern, repl, x)
    return x.strip(" ")


#: pieces whose neighbours make the overlaps: a URL inside a mention, a mention inside a URL, punctuation around both
_PIECES = [*"ab_ @＠.:/!,#h", "http://", "https://", "rt @", "\u3000", "\u00a0", "\t", "。", "—", "香"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=16).map("".join))
def test_one_pass_normalisation_meets_the_four_pass_rules(text):
    assert T.normalise_text(text) == _normalised_in_four_passes(text)


@pytest.mark.parametrize(
    "text",
    ["@foohttp://x bar", "(http://a.b/c) d", "@http://x", "a@ b", "rt @x: http://y @z, w", "x＠ y", "http:// x"],
)
def test_one_pass_normalisation_meets_the_four_pass_rules_on_overlaps(con, text):
    assert T.normalise_text(text) == _normalised_in_four_passes(text)
    assert con.execute(f"SELECT {T.normalised_text_sql('?')}", [text]).fetchone()[0] == T.normalise_text(text)


def test_normalised_text():
    assert T.normalise_text("RT @abc: Hello,   WORLD!! https://t.co/x @d 你好。") == "hello world 你好"
    assert T.normalise_text("Привет, МИР!") == "привет мир"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab1_ #＃@＠.:/&!é香港Ж\u0301 \tRT")), max_size=30))
def test_renderings_agree_on_generated_text(text):
    con = _SHARED  # one connection for every generated example (opening one costs more than the check)
    sql_tags, sql_mentions = _sql_entities(con, text)
    assert sql_tags == [T.hashtag_key(t) for t in T.hashtags_in(text)]
    assert sql_mentions == T.mentions_in(text)
    assert con.execute(f"SELECT {T.normalised_text_sql('?')}", [text]).fetchone()[0] == T.normalise_text(text)


def test_identifier_tokens_see_compatibility_forms_and_cjk_neighbours():
    from flockwatch.core.text import id_token_key, id_tokens

    toks = id_tokens("请看alice的 ＠ＡＬＩＣＥ 𝐚𝐥𝐢𝐜𝐞 x.com/Alice?user_id=123")
    assert [id_token_key(t) for t in toks] == ["alice", "alice", "alice", "x", "com", "alice", "user_id", "123"]


def test_replace_id_tokens_decodes_escapes_and_keeps_the_rest():
    from flockwatch.core.text import replace_id_tokens

    table = {"alice": "P1", "123": "P2"}
    assert replace_id_tokens("RT @Alice: hi %61lice &#97;lice user_id=123", table) == "RT @P1: hi P1 P1 user_id=P2"
    assert replace_id_tokens("alice_b and malice stay", table) == "alice_b and malice stay"
    assert replace_id_tokens(None, table) is None
