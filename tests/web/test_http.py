"""The console over HTTP: sign-in, sessions, CSRF, rate limit, headers, every page and export answering."""

from __future__ import annotations

import re
from contextlib import closing

import httpx
import pytest
from sqlalchemy import update

from flockwatch.store.tables import ops_users
from flockwatch.store.users import add_user, set_password, set_role
from flockwatch.web.security import CSP
from flockwatch.workspace import ops_store

from .httphelp import csrf_of, sign_in
from .users import PASSWORDS


@pytest.fixture(scope="module")
def ana(console):
    c = sign_in(console.url, "ana", PASSWORDS["ana"])
    yield c
    c.close()


def test_network_without_session_redirects_to_login(console):
    r = httpx.get(console.url + "/networks/N0001", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=%2Fnetworks%2FN0001")
    # an HTMX request is told to go to the sign-in page instead of receiving it as a fragment
    r = httpx.get(console.url + "/queue", headers={"HX-Request": "true"})
    assert r.status_code == 401 and r.headers["hx-redirect"] == "/login"


def test_login_form_has_the_fields_scripts_rely_on(console):
    html = httpx.get(console.url + "/login").text
    assert re.search(r'<input[^>]*name="username"', html)
    assert re.search(r'<input[^>]*name="password"[^>]*type="password"', html)
    assert re.search(r'<input type="hidden" name="csrf_token" value="[^"]{20,}"', html)


def test_security_headers_on_every_answer(console, ana):
    for r in (httpx.get(console.url + "/login"), ana.get("/queue"), ana.get("/static/console.css")):
        assert r.headers["content-security-policy"] == CSP
        assert "'unsafe-inline'" not in CSP and "'unsafe-eval'" not in CSP
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"
    assert ana.get("/queue").headers["cache-control"] == "no-store"
    cookie = httpx.get(console.url + "/login").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_post_without_csrf_token_is_refused(console):
    with httpx.Client(base_url=console.url) as c, httpx.Client(base_url=console.url) as other:
        c.get("/login")
        r = c.post("/login", data={"username": "ana", "password": PASSWORDS["ana"]})
        assert r.status_code == 403 and "security token" in r.text
        # a token from another session does not work either
        token = csrf_of(other.get("/login").text)
        r = c.post("/login", data={"username": "ana", "password": PASSWORDS["ana"], "csrf_token": token})
        assert r.status_code == 403


def test_wrong_password_then_rate_limit(console):
    with httpx.Client(base_url=console.url) as c:
        token = csrf_of(c.get("/login").text)
        for _ in range(5):
            r = c.post("/login", data={"username": "rev", "password": "nope", "csrf_token": token})
            assert r.status_code == 401 and "Wrong user name or password" in r.text
        # the sixth attempt is refused even with the right password, and says when to retry
        r = c.post("/login", data={"username": "rev", "password": PASSWORDS["rev"], "csrf_token": token})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    console.app.state.console.limiter.succeeded("ip:127.0.0.1", "user:rev")  # let later tests sign in


def test_sign_in_rotates_the_session_and_refuses_open_redirects(console):
    with httpx.Client(base_url=console.url) as c:
        form = c.get("/login")
        before = c.cookies["fw_session"]
        r = c.post(
            "/login",
            data={
                "username": "ana",
                "password": PASSWORDS["ana"],
                "csrf_token": csrf_of(form.text),
                "next": "//evil.example/x",
            },
        )
        assert r.status_code == 303 and r.headers["location"] == "/queue"
        assert c.cookies["fw_session"] != before
    # the anonymous session id used before signing in does not open pages
    assert httpx.get(console.url + "/queue", cookies={"fw_session": before}).status_code == 303


def test_role_or_password_change_ends_sessions(console):
    store = ops_store(console.workspace)
    add_user(store, "tmp", "analyst", "first-pass")
    with closing(sign_in(console.url, "tmp", "first-pass")) as c:
        assert c.get("/queue").status_code == 200
        set_role(store, "tmp", "reviewer")  # role change
        assert c.get("/queue").status_code == 303
    with closing(sign_in(console.url, "tmp", "first-pass")) as c:
        assert c.get("/queue").status_code == 200
        set_password(store, "tmp", "second-pass")  # a password change moves password_changed_at
        assert c.get("/queue").status_code == 303
    with closing(sign_in(console.url, "tmp", "second-pass")) as c:
        assert c.get("/queue").status_code == 200
        with store.begin() as conn:  # a rehash (new argon2 parameters, same password) is not a password change
            conn.execute(update(ops_users).where(ops_users.c.name == "tmp").values(password_hash="$argon2id$rehash"))
        assert c.get("/queue").status_code == 200


def test_pages_and_exports_answer(console, ana):
    q = ana.get("/queue")
    assert q.status_code == 200 and "candidate network(s) match" in q.text, (q.status_code, q.headers.get("location"))
    run = re.search(r'href="/runs/([^/"]+)/networks/(N\d+)"', q.text)
    assert run
    rid, nid = run.groups()
    short = ana.get(f"/networks/{nid}")
    assert short.status_code == 200 and "of the latest finished run" in short.text and rid in short.text
    full = ana.get(f"/runs/{rid}/networks/{nid}")
    assert full.status_code == 200 and "of the latest finished run" not in full.text
    for section in ("summary", "targets", "graph", "links", "members"):
        assert f'<section id="{section}">' in full.text
    sections = ana.get(f"/runs/{rid}/networks/{nid}/sections").text
    for section in ("timeline", "hours", "narratives", "signals"):
        assert f'<section id="{section}">' in sections
    assert "Working-hours reading" in sections and "<svg" in sections
    g = ana.get(f"/runs/{rid}/networks/{nid}/graph.json").json()
    assert g["nodes"] and g["members"] >= len(g["nodes"])
    csv_text = ana.get(f"/runs/{rid}/networks/{nid}/export/csv").text
    assert csv_text.splitlines()[0] == "network_id,account_id,network_score,account_score,joined_by,platform,assessment"
    assert len(csv_text.splitlines()) == g["members"] + 1
    assert "<graphml" in ana.get(f"/runs/{rid}/networks/{nid}/export/graphml").text
    report = ana.get(f"/runs/{rid}/networks/{nid}/export/report")
    assert report.headers["content-disposition"].startswith("attachment") and "<section" in report.text
    assert ana.get("/queue.csv").text.startswith("run_id,network_id,operation_id")
    link = re.search(r'hx-get="([^"]+/link\?[^"]+)"', full.text).group(1).replace("&amp;", "&")
    ev = ana.get(link)
    assert ev.status_code == 200 and "Co-actions (action ids and the posts)" in ev.text
    acc = re.search(r'href="/accounts/([^"]+)"', full.text).group(1)
    page = ana.get(f"/accounts/{acc}")
    assert page.status_code == 200 and "Candidate networks" in page.text and nid in page.text
    assert ana.get("/registry").status_code == 200
    # an unknown network, run or account is a clear 404, not a crash
    assert ana.get("/networks/N9999").status_code == 404
    assert ana.get(f"/runs/nope/networks/{nid}").status_code == 404
    assert ana.get("/accounts/does-not-exist").status_code == 404


def test_queue_search_and_filters(console, ana):
    everything = ana.get("/queue?flagged=all").text
    flagged = ana.get("/queue").text
    n_all = int(re.search(r"(\d+) candidate network", everything).group(1))
    n_flagged = int(re.search(r"(\d+) candidate network", flagged).group(1))
    assert n_all >= n_flagged > 0
    assert "0 candidate network(s) match" in ana.get("/queue?q=%40no_such_handle_anywhere").text
    # the HTMX request gets the rows only
    frag = ana.get("/queue?q=x", headers={"HX-Request": "true"}).text
    assert "<html" not in frag and "candidate network(s) match" in frag
