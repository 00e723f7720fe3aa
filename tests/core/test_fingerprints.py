"""Text fingerprints: the Python and SQL renderings agree; near-duplicates are near, unrelated texts are not."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from flockwatch.core.fingerprints import (
    MINHASH_BINS,
    decode_minhash,
    encode_minhash,
    exact_fingerprint,
    exact_fingerprint_sql,
    minhash,
    minhash_similarity,
    minhash_sql,
)
from flockwatch.engine import DuckDBEngine

TEXTS = [
    "The rioters in Hong Kong are paid by foreign forces and do not speak for the people of the city",
    "RT @someone: 香港的暴徒是被外国势力收买的，他们不代表这座城市的人民 #香港 https://t.co/abc",
    "Хватит врать про выборы, все знают правду о том, что происходит в стране",
    "short",
]


def _sql_sig(engine, text):
    engine.sql("CREATE OR REPLACE TEMP TABLE tx (key VARCHAR, text VARCHAR)")
    engine.sql("INSERT INTO tx VALUES ('k', ?)", [text])
    rows = engine.sql(minhash_sql("tx")).rows()
    if not rows:
        return None
    sig = [None] * MINHASH_BINS
    for _, b, m in rows:
        sig[b] = int(m)
    return sig


def test_python_and_sql_agree_on_real_texts():
    e = DuckDBEngine.memory()
    try:
        for t in TEXTS:
            assert _sql_sig(e, t) == minhash(t), t
            e.sql("CREATE OR REPLACE TEMP TABLE one AS SELECT ?::VARCHAR AS text", [t])
            assert e.sql(f"SELECT {exact_fingerprint_sql('text')} FROM one").scalar() == exact_fingerprint(t)
    finally:
        e.close()


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=0, max_size=80))
def test_python_and_sql_agree_on_any_text(text):
    e = DuckDBEngine.memory()
    try:
        assert _sql_sig(e, text) == minhash(text)
    finally:
        e.close()


@given(st.lists(st.one_of(st.none(), st.integers(0, 2**60 - 1)), min_size=MINHASH_BINS, max_size=MINHASH_BINS))
def test_encoding_round_trips(sig):
    assert decode_minhash(encode_minhash(sig)) == sig


def test_near_duplicates_are_near_and_others_are_not():
    a = minhash(TEXTS[0])
    b = minhash(TEXTS[0].replace("foreign forces", "foreign powers"))
    c = minhash(TEXTS[2])
    assert minhash_similarity(a, b) >= 0.5
    assert minhash_similarity(a, c) < 0.2
    assert exact_fingerprint("RT @x: " + TEXTS[0].upper() + " https://t.co/y") == exact_fingerprint(TEXTS[0])
    assert minhash("too short") is None and exact_fingerprint("too short") is None
