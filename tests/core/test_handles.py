"""Contract of core.handles: handle keys, and the handle shape in Python and SQL."""

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from flockwatch.core.handles import handle_fold, handle_key, handle_shape, handle_shape_sql


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("wan83721946", "L3D8"),
        ("Lina_52", "L4_D2"),
        ("XHNews", "L6"),
        ("a1b2", "L1D1L1D1"),
        ("Вася_Пупкин", "Вася_Пупкин"),
        ("user.name-9", "L4.L4-D1"),
        ("", None),
        (None, None),
    ],
)
def test_shape_in_python_and_sql(name, shape):
    assert handle_shape(name) == shape
    got = duckdb.connect().execute(f"SELECT {handle_shape_sql('?')}", [name]).fetchone()[0]
    assert got == shape


def test_handle_key():
    assert handle_key("@XHNews") == "xhnews"
    assert handle_key("＠XHNews") == "xhnews"
    assert handle_key("cctv.chinese", "twitter") is None
    assert handle_key("cctv.chinese", "facebook") == "cctv.chinese"
    assert handle_key("way_too_long_for_twitter", "twitter") is None


def test_handle_fold_keeps_what_handle_key_rejects():
    assert handle_fold(" @XHNews ") == "xhnews"
    assert handle_fold("＠CCTV.Chinese", "twitter") == "cctv.chinese"  # no Twitter handle, still a key
    assert handle_fold("@Вася_Пупкин") == "вася_пупкин"


@given(st.text(max_size=30), st.sampled_from([None, "twitter", "facebook"]))
def test_handle_fold_agrees_with_handle_key_where_it_answers(text, platform):
    key = handle_key(text, platform)
    if key is not None:
        assert handle_fold(text, platform) == key
    assert handle_fold(text, platform) == handle_fold("@" + text.strip(), platform)
