"""The public statement: HTML (and PDF through Chromium's headless print) in the style of the 2019 statements.

Consumes the release context (workspace, disclosed accounts in an engine scratch, the release's protection);
produces ``statement.html`` and, when Chromium is installed (Debian's ``chromium``), ``statement.pdf``. Every figure
is computed here from the data — accounts (core and amplifiers), Pages and Groups they ran, their followers, first
and last activity, languages, top hashtags and domains, creation dates — with the attribution wording at the
assessed confidence (``flockwatch.attribute``), the policies violated, sample posts and two charts
(``flockwatch.report.charts``). Every string that came from the data passes through the release's scrubber, so a
protected handle or id cannot reach the page; the statement also says what stays linkable.

A draft carries a banner and a watermark on every page.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from flockwatch.errors import ExternalError, FlockwatchError
from flockwatch.report import charts

if TYPE_CHECKING:
    from flockwatch.disclose.release import Release, _Context

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
DEFAULT_POLICIES = ("Platform manipulation and spam: coordinated inauthentic behaviour",)
TOP_N = 10
SAMPLE_POSTS = 5
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
PDF_TIMEOUT_S = 120

_CONFIDENCE_WORDS = {
    "high": "We assess with high confidence",
    "moderate": "We assess with moderate confidence",
    "low": "We assess with low confidence",
}


def chromium() -> str | None:
    """The Chromium executable, or None where none is installed."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(html_path: Path, pdf_path: Path, timeout_s: int = PDF_TIMEOUT_S) -> Path:
    """Print ``html_path`` to ``pdf_path`` with headless Chromium (no header/footer: they would carry local paths)."""
    exe = chromium()
    if exe is None:
        raise ExternalError("Chromium is not installed (Debian: apt-get install chromium); the PDF needs it")
    with tempfile.TemporaryDirectory(prefix="fw-chromium-") as profile:
        cmd = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            "--print-to-pdf-no-header",
            f"--user-data-dir={profile}",
            f"--print-to-pdf={pdf_path}",
            html_path.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(
                cmd, capture_output=True, timeout=timeout_s, env={**os.environ, "HOME": profile}, check=False
            )
        except subprocess.TimeoutExpired:
            raise ExternalError(f"Chromium did not print {html_path} within {timeout_s} s") from None
    if done.returncode != 0 or not pdf_path.exists():
        tail = done.stderr.decode("utf-8", errors="replace")[-400:]
        raise ExternalError(f"Chromium failed to print {html_path} (exit {done.returncode}): {tail}")
    return pdf_path


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("flockwatch.disclose", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def collect_statement_data(c: _Context, r: Release) -> dict[str, Any]:
    """Every figure of the statement, as plain data."""
    e, s, p = c.ws.engine, c.s, c.protection
    scrub = p.scrub
    subj = c.subjects
    ov = e.sql(f"SELECT count(*), min(acted_at), max(acted_at), count(DISTINCT account_id) FROM {s.acts}").one()
    n_posts, first_at, last_at, active = ov if ov else (0, None, None, 0)
    prof = (
        e.sql(
            f"""SELECT sum(follower_count), median(follower_count), count(follower_count),
                   count(*) FILTER (WHERE follower_count >= ?), min(created_at), max(created_at)
            FROM accounts WHERE platform = ? AND account_id IN (SELECT account_id FROM {s.members})""",
            [c.options.threshold_followers, c.platform],
        ).one()
        or (None,) * 6
    )
    assets = e.sql(
        f"""SELECT lower(coalesce(x.kind, 'asset')), count(DISTINCT x.asset_id) FROM assets x
            JOIN asset_admins aa ON aa.platform = x.platform AND aa.asset_id = x.asset_id
            WHERE x.platform = ? AND aa.account_id IN (SELECT account_id FROM {s.members}) GROUP BY 1 ORDER BY 1""",
        [c.platform],
    ).rows()
    langs = e.sql(
        f"SELECT coalesce(language, 'und'), count(*) FROM {s.acts} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP_N}"
    ).rows()
    tags = e.sql(
        f"""SELECT hashtag, count(*) FROM action_hashtags WHERE platform = ?
            AND action_id IN (SELECT action_id FROM {s.acts}) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP_N}""",
        [c.platform],
    ).rows()
    domains = e.sql(
        f"""SELECT domain, count(*) FROM action_urls WHERE platform = ? AND domain IS NOT NULL
            AND action_id IN (SELECT action_id FROM {s.acts}) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP_N}""",
        [c.platform],
    ).rows()
    kinds = e.sql(f"SELECT kind, count(*) FROM {s.acts} GROUP BY 1 ORDER BY 2 DESC, 1").rows()
    span = (last_at - first_at).days if first_at and last_at else 0
    unit = "month" if span > 730 else "week" if span > 90 else "day"
    timeline = e.sql(
        f"SELECT date_trunc('{unit}', acted_at)::DATE, count(*) FROM {s.acts} WHERE acted_at IS NOT NULL "
        "GROUP BY 1 ORDER BY 1"
    ).rows()
    created = e.sql(
        f"""SELECT date_trunc('month', created_at)::DATE, count(*) FROM accounts WHERE platform = ?
            AND created_at IS NOT NULL AND account_id IN (SELECT account_id FROM {s.members}) GROUP BY 1 ORDER BY 1""",
        [c.platform],
    ).rows()
    samples = e.sql(
        f"""SELECT text, count(*) AS n, count(DISTINCT account_id) AS accounts, min(acted_at)
            FROM {s.acts} WHERE kind <> 'repost' AND text IS NOT NULL AND text <> ''
            GROUP BY text ORDER BY accounts DESC, n DESC, text LIMIT {SAMPLE_POSTS}"""
    ).rows()
    named = e.sql(
        f"""SELECT screen_name, follower_count FROM accounts WHERE platform = ? AND follower_count >= ?
            AND account_id IN (SELECT account_id FROM {s.members}) ORDER BY follower_count DESC, screen_name LIMIT {TOP_N}""",
        [c.platform, c.options.threshold_followers],
    ).rows()
    att = _attribution(c)
    n_posts = int(n_posts or 0)
    return {
        "title": f"Information operation disclosure: {scrub(subj.name)}",
        "draft": subj.draft,
        "generated_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "release_date": c.when.isoformat(),
        "source": scrub(subj.source),
        "case_id": subj.case_id,
        "key_id": c.key_id,
        "platform": c.platform,
        "accounts": len(subj.subjects),
        "core": subj.count("core"),
        "amplifiers": subj.count("amplifier"),
        "active_accounts": int(active or 0),
        "assets": _assets(assets, subj.extra.get("assets") or {}),
        "followers_total": int(prof[0] or 0),
        "followers_median": None if prof[1] is None else int(prof[1]),
        "followers_known": int(prof[2] or 0),
        "above_threshold": int(prof[3] or 0),
        "created_first": _day(prof[4]),
        "created_last": _day(prof[5]),
        "posts": n_posts,
        "kinds": [(k, int(n)) for k, n in kinds],
        "first_at": _day(first_at),
        "last_at": _day(last_at),
        "languages": [(lang, int(n), int(n) / n_posts if n_posts else 0.0) for lang, n in langs],
        "hashtags": [(scrub(t), int(n)) for t, n in tags],
        "domains": [(scrub(d), int(n)) for d, n in domains],
        "samples": [
            {"text": scrub(t), "posts": int(n), "accounts": int(a), "first": _day(f)} for t, n, a, f in samples
        ],
        "named": [(scrub(h) or "", int(f)) for h, f in named],
        "attribution": att,
        "decided": sorted({str(x.decided_at)[:10] for x in subj.subjects if x.decided_at}),
        "policies": list(c.options.policies or DEFAULT_POLICIES),
        "threshold": c.options.threshold_followers,
        "protected": p.n_protected,
        "post_ids": "pseudonymised" if r.archive.pseudonymised_post_ids else "kept",
        "files": [r.archive.users_file.name, r.archive.tweets_file.name, r.archive.zip_file.name],
        "timeline_svg": charts.bar_chart(
            [str(d) for d, _ in timeline], [n for _, n in timeline], f"posts per {unit}", width=900
        ),
        "timeline_unit": unit,
        "creation_svg": charts.bar_chart(
            [d.strftime("%Y-%m") for d, _ in created],
            [n for _, n in created],
            "accounts created per month",
            width=900,
            color="#d9480f",
        ),
    }


def _assets(from_table: list[tuple[Any, Any]], from_case: dict[str, int]) -> list[tuple[str, int]]:
    """Pages, Groups (and other assets) the accounts ran, from the warehouse, or removed with the case if more."""
    counts = {str(k): int(n) for k, n in from_table}
    for kind, n in from_case.items():
        counts[kind] = max(counts.get(kind, 0), int(n))
    return sorted(counts.items())


def _attribution(c: _Context) -> dict[str, Any] | None:
    """Hedged wording at the assessed confidence (an attribution passed in, or one computed from the evidence)."""
    att = c.options.attribution
    if att is None and c.options.compute_attribution:
        from flockwatch.attribute import attribute

        try:
            att = attribute(c.ws, c.subjects.account_ids).to_dict()
        except FlockwatchError as exc:  # e.g. no registry: the statement goes out without an assessment, and says so
            return {
                "confidence": "none",
                "wording": "We have not assessed who is behind this activity for this release.",
                "categories": [],
                "rationale": "",
                "unavailable": str(exc),
            }
    if not att:
        return None
    from flockwatch.policy.countries import country_name

    confidence = str(att.get("confidence") or "low")
    hyp = att.get("hypothesis")
    lead = _CONFIDENCE_WORDS.get(confidence, _CONFIDENCE_WORDS["low"])
    if hyp:
        wording = f"{lead} that this activity was operated from, or on behalf of an actor in, {country_name(str(hyp))}."
    else:
        wording = "The evidence we hold does not support naming who is behind this activity."
    return {
        "confidence": confidence,
        "wording": wording,
        "categories": [str(x) for x in att.get("categories") or []],
        "rationale": c.protection.scrub(str(att.get("rationale") or "")),
    }


def _day(t: Any) -> str | None:
    return t.strftime("%Y-%m-%d") if t else None


def write_statement(c: _Context, r: Release) -> tuple[list[Path], list[str]]:
    """Write ``statement.html`` (and the PDF where Chromium is installed, or fail when the PDF was asked for)."""
    data = collect_statement_data(c, r)
    html = _env().get_template("statement.html.j2").render(d=data, csp=CSP)
    name = "DRAFT_statement" if c.subjects.draft else "statement"
    path = r.out_dir / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    paths, notes = [path], []
    want_pdf = c.options.pdf
    if want_pdf:
        paths.append(print_pdf(path, r.out_dir / f"{name}.pdf"))
    elif want_pdf is None and chromium() is not None:
        try:  # asked for nothing in particular: a failed print is a note, not a failed release
            paths.append(print_pdf(path, r.out_dir / f"{name}.pdf"))
        except ExternalError as exc:
            notes.append(f"no PDF: {exc}")
    elif want_pdf is None:
        notes.append("no PDF: Chromium is not installed")
    return paths, notes
