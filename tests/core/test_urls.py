"""Contract of core.urls: host, registrable domain and normalised URL; the Python and SQL renderings agree."""

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flockwatch.core import urls as U

# (url, host, normalised url)
CASES = [
    ("https://user@www.BBC.co.uk:443/news?x", "bbc.co.uk", "user@www.bbc.co.uk:443/news?x"),
    ("bbc.co.uk/news", "bbc.co.uk", "bbc.co.uk/news"),
    ("HTTPS://www.Example.com/a/b/?utm_source=x&id=3#top", "example.com", "example.com/a/b/?id=3"),
    ("https://x.com/a/?utm_a=1&utm_b=2", "x.com", "x.com/a"),
    ("http://www2.News.example:8080/x", "news.example", "news.example:8080/x"),
    ("http://пример.рф/путь", "пример.рф", "пример.рф/путь"),
    ("http://xn--e1afmkfd.xn--p1ai/", "xn--e1afmkfd.xn--p1ai", "xn--e1afmkfd.xn--p1ai"),
    ("http://[::1]:8080/x", "[::1]", "[::1]:8080/x"),
    ("WWW.example.com.", "example.com", "example.com."),
    ("https://新华网.中国/a", "新华网.中国", "新华网.中国/a"),
]


_SHARED = duckdb.connect()


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    yield c
    c.close()


@pytest.mark.parametrize(("url", "host", "norm"), CASES)
def test_host_and_normalised_url(con, url, host, norm):
    assert U.host(url) == host
    assert U.normalise_url(url) == norm
    sql_host, sql_norm = con.execute(f"SELECT {U.host_sql('?')}, {U.normalised_url_sql('?')}", [url, url]).fetchone()
    assert (sql_host, sql_norm) == (host, norm)


def test_no_host():
    assert U.host("") is None and U.host(None) is None
    assert duckdb.connect().execute(f"SELECT {U.host_sql('?')}", [""]).fetchone()[0] is None


def test_registrable_domain_uses_the_public_suffix_list():
    assert U.registrable_domain("https://news.bbc.co.uk/x") == "bbc.co.uk"
    assert U.registrable_domain("a.b.example.com.au") == "example.com.au"
    assert U.registrable_domain("english.news.cn") == "news.cn"
    assert U.host_suffixes("a.news.bbc.co.uk") == ["a.news.bbc.co.uk", "news.bbc.co.uk", "bbc.co.uk"]


def test_domain_or_host_prefers_the_given_domain(con):
    got = con.execute(
        f"SELECT {U.domain_or_host_sql('?', '?')}, {U.domain_or_host_sql('NULL', '?')}",
        ["WWW.Given.example", "http://x.org/a", "http://www2.News.example:8080/x"],
    ).fetchone()
    assert got == ("given.example", "news.example")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab.:/?#&=@w_-1 Ж香utm[]")), max_size=40))
def test_renderings_agree_on_generated_urls(url):
    con = _SHARED  # one connection for every generated example (opening one costs more than the check)
    got = con.execute(f"SELECT {U.host_sql('?')}, {U.normalised_url_sql('?')}", [url, url]).fetchone()
    assert got == (U.host(url), U.normalise_url(url))
