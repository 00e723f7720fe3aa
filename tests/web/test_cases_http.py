"""Cases from the console over HTTP: roles and the two-person rule are enforced on the server, the case shows the
snapshot it was opened on and its audit trail, and every account page view lands in the access log."""

from __future__ import annotations

import re
from contextlib import closing

import httpx

from flockwatch.review import audit
from flockwatch.workspace import ops_store

from .httphelp import csrf_of, sign_in
from .users import PASSWORDS


def _network(c: httpx.Client) -> tuple[str, str]:
    q = c.get("/queue").text
    path = re.search(r'href="(/runs/[^"]+/networks/N\d+)"', q).group(1)
    return path, csrf_of(c.get(path).text)


def _propose(c: httpx.Client, kind: str) -> str:
    path, token = _network(c)
    r = c.post(path + "/cases", data={"csrf_token": token, "kind": kind, "reason": f"test {kind}"})
    assert r.status_code == 303 and r.headers["location"].startswith("/cases/C"), r.text[:300]
    return r.headers["location"]


def _approve(c: httpx.Client, case: str) -> str:
    token = csrf_of(c.get(case).text)
    r = c.post(case + "/approve", data={"csrf_token": token})
    assert r.status_code == 303
    return c.get(r.headers["location"]).text


def test_two_person_rule_and_reviewer_role_hold_on_the_server(console, monkeypatch):
    with (
        closing(sign_in(console.url, "ana", PASSWORDS["ana"])) as ana,
        closing(sign_in(console.url, "ana2", PASSWORDS["ana2"])) as ana2,
        closing(sign_in(console.url, "rev", PASSWORDS["rev"])) as rev,
    ):
        case = _propose(ana, "suspend")
        page = ana.get(case).text
        assert "proposed" in page and "detection run" in page
        assert "SELF_APPROVAL" in _approve(ana, case)
        assert "ROLE_REQUIRED" in _approve(ana2, case)  # a suspension needs a reviewer
        done = _approve(rev, case)
        assert "SELF_APPROVAL" not in done and "ROLE_REQUIRED" not in done
        assert re.search(r'class="action-status">(approved|executed)<', done)
        assert "action.approve" in done and "case.open" in done and "action.propose" in done
        # a label on more subjects than the team's bulk limit needs a reviewer; under it, a second analyst will do
        # (the console reads the team's rules, FLOCKWATCH_REVIEWER_OVER_N, as the CLI does)
        label = _propose(ana, "label")
        monkeypatch.setenv("FLOCKWATCH_REVIEWER_OVER_N", "1")
        assert re.search(r"ROLE_REQUIRED.*an action on \d+ subjects needs a reviewer", _approve(ana2, label))
        monkeypatch.setenv("FLOCKWATCH_REVIEWER_OVER_N", "100000")
        assert re.search(r'class="action-status">(approved|executed)<', _approve(ana2, label))
        assert case.rsplit("/", 1)[1] in ana.get("/cases").text


def test_posting_a_case_without_the_csrf_token_is_refused(console):
    with closing(sign_in(console.url, "ana", PASSWORDS["ana"])) as ana:
        path, _ = _network(ana)
        r = ana.post(path + "/cases", data={"kind": "suspend", "reason": "x"})
        assert r.status_code == 403


def test_account_views_are_logged_and_only_admins_read_the_log(console):
    with (
        closing(sign_in(console.url, "ana", PASSWORDS["ana"])) as ana,
        closing(sign_in(console.url, "adm", PASSWORDS["adm"])) as adm,
    ):
        path, _ = _network(ana)
        acc = re.search(r'href="/accounts/([^"]+)"', ana.get(path).text).group(1)
        before = len(audit.accesses(ops_store(console.workspace), account_id=acc, actor="ana"))
        assert ana.get(f"/accounts/{acc}").status_code == 200
        after = audit.accesses(ops_store(console.workspace), account_id=acc, actor="ana")
        assert len(after) == before + 1 and after[-1]["purpose"] == "console: account page"
        assert ana.get("/admin/access-log").status_code == 403
        log = adm.get(f"/admin/access-log?account={acc}")
        assert log.status_code == 200 and acc in log.text and "ana" in log.text
