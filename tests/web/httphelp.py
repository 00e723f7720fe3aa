"""Signing in over plain HTTP (httpx), as a browser would: read the form's CSRF token, post the form."""

from __future__ import annotations

import re

import httpx

CSRF_RX = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = CSRF_RX.search(html)
    assert m, "no CSRF field in the page"
    return m.group(1)


def sign_in(base_url: str, name: str, password: str) -> httpx.Client:
    c = httpx.Client(base_url=base_url, follow_redirects=False, timeout=60)
    form = c.get("/login")
    r = c.post(
        "/login", data={"username": name, "password": password, "csrf_token": csrf_of(form.text), "next": "/queue"}
    )
    assert r.status_code == 303, r.text[:500]
    return c
