"""The console in a real browser (Playwright driving Debian's chromium): the analyst's path through the queue, a
network, a link's evidence and an account; and hostile text from the data never executing on any page.

Screenshots are written under ``test-artifacts/web/`` (git-ignored)."""

from __future__ import annotations

import re

import pytest

from .browser import sign_in, watched_page
from .console_data import SENTINEL
from .users import PASSWORDS

pytestmark = pytest.mark.slow


@pytest.fixture
def context(chromium):
    ctx = chromium.new_context(viewport={"width": 1400, "height": 1000})
    yield ctx
    ctx.close()


def test_analyst_reads_evidence_proposes_and_reviewer_approves(console, context, chromium):
    w = watched_page(context)
    page = w.page
    sign_in(w, console.url, "ana", PASSWORDS["ana"])
    assert page.locator("table.queue tbody tr").count() > 0
    w.shot("01-queue")
    page.locator("table.queue tbody tr td a").first.click()
    page.wait_for_selector("#cy[data-ready='1']")
    page.wait_for_selector("#timeline svg")
    assert "Working-hours reading" in page.inner_text("#hours")
    assert page.locator("#graph-note").inner_text().startswith(("Showing all", "Sampled"))
    w.shot("02-network")
    page.locator("a.evidence-link").first.click()
    page.wait_for_selector("#link-evidence")
    evidence = page.inner_text("#link-evidence")
    assert "Co-actions (action ids and the posts)" in evidence
    assert re.search(r"p = \d", evidence) or "expected by chance" in evidence
    page.locator("#link-evidence").scroll_into_view_if_needed()
    w.shot("03-link-evidence")
    network_url = page.url
    page.locator("#members tbody a").first.click()
    page.wait_for_selector("#account-networks")
    w.shot("04-account")

    # the analyst proposes a suspension of the network's accounts: a case opens on this run's members
    page.goto(network_url)
    page.click("#propose summary")
    page.select_option("#propose select[name=kind]", "suspend")
    page.fill("#propose textarea[name=reason]", "Coordinated hashtag flooding; see link evidence")
    page.click("#propose button[type=submit]")
    page.wait_for_url("**/cases/C*")
    case_url = page.url
    assert page.inner_text(".action-status") == "proposed"
    assert "detection run" in page.inner_text("dl.facts")
    # the proposer cannot approve their own proposal: the server refuses (two-person rule)
    page.click("#approve-form button")
    page.wait_for_selector("#case-error")
    assert "SELF_APPROVAL" in page.inner_text("#case-error")
    w.shot("05-case-proposed")
    assert not w.csp_violations, w.csp_violations
    assert not w.errors, w.errors

    # a reviewer approves it and sees the audit trail
    rctx = chromium.new_context(viewport={"width": 1400, "height": 1000})
    try:
        r = watched_page(rctx)
        sign_in(r, console.url, "rev", PASSWORDS["rev"])
        r.page.goto(case_url)
        r.page.click("#approve-form button")
        r.page.wait_for_selector("#audit")
        assert r.page.inner_text(".action-status") in ("approved", "executed")
        trail = r.page.inner_text("#audit")
        assert "action.propose" in trail and "action.approve" in trail and "ana" in trail and "rev" in trail
        r.page.locator("#audit").scroll_into_view_if_needed()
        r.shot("06-case-approved-audit")
        assert not r.csp_violations and not r.errors
    finally:
        rctx.close()


def _all_pages(page, base: str) -> list[str]:
    """Every kind of page reachable from the queue: networks (both forms), link evidence, accounts, registry."""
    page.goto(base + "/queue?flagged=all")
    nets = sorted(set(page.eval_on_selector_all("table.queue a", "els => els.map(e => e.getAttribute('href'))")))
    urls = ["/queue", "/queue?flagged=all", "/queue?q=" + "%3Cscript%3E", "/registry", *nets[:4]]
    if nets:
        nid = nets[0].rsplit("/", 1)[1]
        urls.append(f"/networks/{nid}")
        page.goto(base + nets[0])
        links = page.eval_on_selector_all("a.evidence-link", "els => els.map(e => e.getAttribute('href'))")
        accounts = page.eval_on_selector_all("#members a", "els => els.map(e => e.getAttribute('href'))")
        urls += links[:3] + accounts[:12]
    return urls


def test_hostile_text_never_executes(console, context):
    w = watched_page(context)
    page = w.page
    sign_in(w, console.url, "ana", PASSWORDS["ana"])
    urls = _all_pages(page, console.url)
    assert len(urls) > 15
    seen_payload = False
    for url in urls:
        resp = page.goto(console.url + url)
        assert resp is not None and resp.status == 200, (url, resp and resp.status)
        page.wait_for_load_state("networkidle")
        body = page.content()
        seen_payload = seen_payload or ("window.__xss" in page.inner_text("body"))
        assert page.evaluate(f"typeof window.{SENTINEL}") == "undefined", url
        assert "<script>window.__xss" not in body, url
    # the payloads are on the pages, as text
    assert seen_payload
    page.goto(console.url + next(u for u in urls if u.startswith("/accounts/")))
    w.shot("07-hostile-account")
    assert not w.dialogs, w.dialogs
    assert not w.csp_violations, w.csp_violations
