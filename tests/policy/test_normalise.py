"""Normalising advertiser strings: handles with or without @, domains with or without scheme, names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flockwatch.policy.normalise import handle_key, host_key, parse_advertiser, social_account


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@XHNews", ("handle", None, "xhnews")),
        ("twitter:@RT_com", ("handle", "twitter", "rt_com")),
        ("x:RT_com", ("handle", "twitter", "rt_com")),
        ("https://twitter.com/RT_com", ("handle", "twitter", "rt_com")),
        ("https://www.BBC.co.uk/news?x=1", ("domain", None, "bbc.co.uk")),
        ("www.dw.com", ("domain", None, "dw.com")),
        ("news.cn", ("domain", None, "news.cn")),
        ("People's Daily", ("name", None, "people's daily")),
        ("  Deutsche   Welle ", ("name", None, "deutsche welle")),
        ("NPR", ("name", None, "npr")),
    ],
)
def test_parse_advertiser(text, expected):
    assert parse_advertiser(text) == expected


def test_keys():
    assert handle_key("@Foo_1") == "foo_1"
    assert handle_key("cctv.chinese", "twitter") is None
    assert handle_key("cctv.chinese", "facebook") == "cctv.chinese"
    assert host_key("HTTP://user@Sub.Example.COM:8080/x") == "sub.example.com"
    assert host_key("not a host") is None
    assert social_account("https://www.youtube.com/channel/UCx-1") == ("youtube", "ucx-1")
    assert social_account("https://www.example.com/x") is None


_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True).filter(lambda s: s != "www")


@given(
    labels=st.lists(_label, min_size=1, max_size=3),
    tld=st.sampled_from(["com", "co.uk", "cn", "se"]),
    scheme=st.sampled_from(["", "http://", "https://", "HTTPS://"]),
    www=st.booleans(),
    path=st.sampled_from(["", "/", "/news/a.html", "?q=1", "#top"]),
    upper=st.booleans(),
)
def test_every_spelling_of_a_url_gives_the_same_host(labels, tld, scheme, www, path, upper):
    host = ".".join([*labels, tld])
    text = f"{scheme}{'www.' if www else ''}{host}{path}"
    assert host_key(text.upper() if upper else text) == host
    kind, _, key = parse_advertiser(text)
    social = social_account(text)
    if social:  # a path on a social platform's host names an account there: x.com/news/a.html is @news on twitter
        assert (kind, key) == ("handle", social[1])
    else:
        assert (kind, key) == ("domain", host)


def test_a_url_on_a_social_platform_names_the_account_not_the_domain():
    assert parse_advertiser("http://x.com/news/a.html") == ("handle", "twitter", "news")
    assert parse_advertiser("x.com") == ("domain", None, "x.com")  # no path: the site itself
    assert parse_advertiser("https://www.example.com/news/a.html") == ("domain", None, "example.com")
