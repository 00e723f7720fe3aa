"""A draft release of the planted network, end to end: the archive re-ingests with the same counts, every reference
to a protected account is its pseudonym, public accounts keep their names, and nothing protected leaks anywhere."""

from __future__ import annotations

import csv
import html
import io
import re
import unicodedata
import urllib.parse
import zipfile

import pytest

from flockwatch.disclose import ReleaseOptions, draft_subjects, load_key, publish
from flockwatch.disclose.statement import chromium
from flockwatch.errors import RefusedError, ValidationError
from flockwatch.ingest import ingest_paths
from flockwatch.workspace import Workspace

from .conftest import GHOST


@pytest.fixture(scope="module")
def release(scenario, tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "r"
    with Workspace.open(scenario.ws_dir, read_only=True) as ws:
        subjects = draft_subjects(ws, network="N0001")
        rel = publish(ws, subjects, load_key(scenario.key_file), out, ReleaseOptions(pdf=False))
        n_actions = ws.engine.sql(
            "SELECT count(*) FROM actions WHERE account_id IN (SELECT unnest(?::VARCHAR[]))", [subjects.account_ids]
        ).scalar()
        small = ws.engine.sql("SELECT account_id, screen_name FROM accounts WHERE follower_count < 5000").rows()
    return rel, subjects, n_actions, small


def _rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _all_text(directory) -> dict[str, str]:
    out = {}
    for p in sorted(directory.rglob("*")):
        if not p.is_file():
            continue
        if zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as zf:
                for m in zf.namelist():
                    out[f"{p.name}!{m}"] = zf.read(m).decode("utf-8")
        elif p.suffix == ".pdf":
            from pypdf import PdfReader

            out[p.name] = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(p.read_bytes())).pages)
        else:
            out[p.name] = p.read_text(encoding="utf-8")
        out[p.name + " (name)"] = p.name
    return out


def _variants(text: str) -> list[str]:
    forms = {text}
    for _ in range(3):
        forms |= {html.unescape(f) for f in forms} | {urllib.parse.unquote(f) for f in forms}
    return [unicodedata.normalize("NFKC", f).casefold() for f in forms]


def test_archive_files_are_named_and_zipped(release):
    rel, _, _, _ = release
    a = rel.archive
    assert re.fullmatch(r"DRAFT-n0001_\d{6}_1_users_csv_hashed\.csv", a.users_file.name)
    assert re.fullmatch(r"DRAFT-n0001_\d{6}_1_tweets_csv_hashed\.csv", a.tweets_file.name)
    with zipfile.ZipFile(a.zip_file) as zf:
        assert sorted(zf.namelist()) == sorted([a.users_file.name, a.tweets_file.name])
    assert rel.manifest["draft"] is True and rel.manifest["key_id"] == rel.key_id
    assert rel.manifest["leak_search"]["clean"] and rel.manifest["leak_search"]["values_searched"] > 500


def test_archive_reingests_with_the_same_counts(release, scenario, tmp_path):
    rel, subjects, n_actions, _ = release
    with Workspace.open(scenario.ws_dir, read_only=True) as src:
        # reposts of one disclosed account by another, in the source data
        internal_reposts = src.engine.sql(
            """SELECT count(*) FROM actions WHERE kind = 'repost'
               AND account_id IN (SELECT unnest(?::VARCHAR[])) AND target_account_id IN (SELECT unnest(?::VARCHAR[]))""",
            [subjects.account_ids, subjects.account_ids],
        ).scalar()
    with Workspace.create(tmp_path / "again", registry=False) as ws:
        # what a script does: every CSV of the release directory (the archive's two, nothing else)
        csvs = sorted(rel.out_dir.glob("*.csv"))
        assert csvs == sorted([rel.archive.users_file, rel.archive.tweets_file])
        ingest_paths(ws, csvs)
        info = ws.info()["tables"]
        assert info["accounts"] == len(subjects.subjects) == rel.archive.accounts
        assert info["actions"] == n_actions == rel.archive.posts
        assert info["quarantine"] == 0
        hashed = ws.engine.sql("SELECT count(*) FROM accounts WHERE id_is_pseudonymised").scalar()
        assert hashed == rel.manifest["archive"]["accounts"] - rel.manifest["archive"]["disclosed_accounts_named"]
        # the same account has the same pseudonym as author, as retweet target and in mentions
        linked = ws.engine.sql(
            """SELECT count(*) FROM actions a JOIN accounts c ON c.account_id = a.target_account_id
               WHERE a.kind = 'repost'"""
        ).scalar()
        assert linked == internal_reposts


def test_references_are_pseudonymised_and_public_names_kept(release, scenario):
    rel, _, _, small = release
    p_of = {}
    users = _rows(rel.archive.users_file)
    for u in users:
        assert u["userid"] == u["user_screen_name"] == u["user_display_name"] or u["userid"].isdigit()
        p_of[u["userid"]] = u
    tweets = _rows(rel.archive.tweets_file)
    small_ids = {a for a, _ in small}
    for t in tweets:
        for col in ("userid", "in_reply_to_userid", "retweet_userid"):
            assert t[col] not in small_ids
        for m in re.findall(r"[^\[\], ]+", t["user_mentions"]):
            assert m not in small_ids
    text = "\n".join(t["tweet_text"] for t in tweets)
    assert f"@{scenario.public_handle}" in text  # above the threshold: named
    assert "请看" in text and "的推文" in text  # the text around a replaced handle survives


def test_nothing_protected_appears_anywhere(release, scenario):
    rel, _, _, small = release
    texts = _all_text(rel.out_dir)
    ids = {a for a, _ in small} | {scenario.victim_id}
    handles = {h.lower() for _, h in small if h} | {scenario.victim_handle.lower(), GHOST}
    handle_rx = re.compile(r"[a-z0-9_]+")
    for name, text in texts.items():
        for form in _variants(text):
            assert not (set(handle_rx.findall(form)) & (handles | ids)), name
            for i in (scenario.victim_id,):
                assert i not in form, name


def test_statement_figures_come_from_the_data(release):
    rel, subjects, n_actions, _ = release
    page = (rel.out_dir / "DRAFT_statement.html").read_text(encoding="utf-8")
    assert "DRAFT — not for publication" in page and 'class="watermark"' in page
    assert f"<b>{len(subjects.subjects):,}</b>accounts" in page
    assert f"<b>{subjects.count('core'):,}</b>core accounts" in page
    assert f"<b>{n_actions:,}</b>posts in the archive" in page
    assert "What stays linkable" in page and "post ids are kept" in page
    assert "<svg" in page and "http://" not in page.split("</style>")[0]


def test_statements_of_reasons_and_transparency_export(release):
    import json

    rel, subjects, _, _ = release
    sors = [json.loads(x) for x in (rel.out_dir / "dsa" / "DRAFT_statements_of_reasons.jsonl").read_text().splitlines()]
    tdb = [json.loads(x) for x in (rel.out_dir / "dsa" / "DRAFT_dsa_tdb_statements.jsonl").read_text().splitlines()]
    assert len(sors) == len(tdb) == len(subjects.subjects)
    required = {
        "decision_ground",
        "content_type",
        "category",
        "territorial_scope",
        "content_date",
        "application_date",
        "decision_facts",
        "source_type",
        "automated_detection",
        "automated_decision",
        "puid",
        "incompatible_content_ground",
        "incompatible_content_explanation",
    }
    puids = set()
    for s, t in zip(sors, tdb, strict=True):
        assert required <= set(t) and t["decision_account"] == "DECISION_ACCOUNT_TERMINATED"
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,500}", t["puid"]) and t["puid"] == s["puid"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", t["content_date"]) and t["application_date"] >= "2020-01-01"
        assert t["draft"] is True and s["decision"] == "none taken (draft)"
        assert s["redress"] and s["automated_means"]["detection"].startswith("yes")
        assert s["evidence_class"]["role"] in ("core", "amplifier")
        puids.add(t["puid"])
    assert len(puids) == len(tdb)


def test_stix_report_is_tlp_clear(release):
    import json

    import stix2

    rel, _, _, _ = release
    bundle = json.loads((rel.out_dir / "indicators" / "DRAFT_indicators.stix.json").read_text())
    clear = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
    objs = bundle["objects"]
    assert objs[0]["id"] == clear and objs[0]["name"] == "TLP:CLEAR"
    report = next(o for o in objs if o["type"] == "report")
    assert report["name"].startswith("DRAFT") and report["object_marking_refs"] == [clear]
    for o in objs[1:]:
        assert o["object_marking_refs"] == [clear]
        stix2.parse(o, allow_custom=False)
    rows = _rows(rel.out_dir / "indicators" / "DRAFT_indicators.csv")
    assert list(rows[0]) == ["indicator_type", "indicator_value", "comment", "ds"]
    assert all(r["comment"].startswith("DRAFT") for r in rows)


def test_restricted_indicators_are_refused_or_dropped(scenario, tmp_path):
    extra = tmp_path / "extra.csv"
    extra.write_text(
        "indicator_type,indicator_value,comment,tlp\ndomain,bad.example,tip,TLP:AMBER\ndomain,ok.example,,clear\n"
    )
    with Workspace.open(scenario.ws_dir, read_only=True) as ws:
        subjects = draft_subjects(ws, network="N0001")
        key = load_key(scenario.key_file)
        opts = ReleaseOptions(pdf=False, statement=False, extra_indicators=extra)
        with pytest.raises(RefusedError, match="TLP:AMBER"):
            publish(ws, subjects, key, tmp_path / "r1", opts)
        opts.drop_restricted_indicators = True
        rel = publish(ws, subjects, key, tmp_path / "r2", opts)
    values = [r["indicator_value"] for r in _rows(rel.out_dir / "indicators" / "DRAFT_indicators.csv")]
    assert "ok.example" in values and "bad.example" not in values
    assert any("TLP:AMBER" in n for n in rel.notes)


def test_a_release_that_would_leak_is_refused_and_removed(scenario, tmp_path):
    with Workspace.open(scenario.ws_dir, read_only=True) as ws:
        subjects = draft_subjects(ws, network="N0001")
        out = tmp_path / "r"
        with pytest.raises(RefusedError, match="protected identifier"):
            publish(
                ws,
                subjects,
                load_key(scenario.key_file),
                out,
                ReleaseOptions(pdf=False, set_name=scenario.victim_handle),
            )
        assert not [p for p in out.iterdir() if p.suffix == ".csv"]


def test_draft_needs_exactly_one_source(scenario):
    with Workspace.open(scenario.ws_dir, read_only=True) as ws:
        with pytest.raises(ValidationError):
            draft_subjects(ws)
        with pytest.raises(ValidationError, match="N0999"):
            draft_subjects(ws, network="N0999")


@pytest.mark.slow
@pytest.mark.skipif(chromium() is None, reason="Chromium is not installed (Debian package chromium)")
def test_pdf_statement_is_printed_and_clean(scenario, tmp_path):
    with Workspace.open(scenario.ws_dir, read_only=True) as ws:
        subjects = draft_subjects(ws, network="N0001")
        rel = publish(ws, subjects, load_key(scenario.key_file), tmp_path / "r", ReleaseOptions(pdf=True))
    pdf = rel.out_dir / "DRAFT_statement.pdf"
    text = _all_text(rel.out_dir)[pdf.name]
    assert "DRAFT" in text and f"{len(subjects.subjects)}" in text
    assert scenario.victim_handle.lower() not in text.casefold()
    assert rel.manifest["leak_search"]["clean"]


def test_worker_processes_write_the_same_release(scenario, tmp_path):
    """Rows rewritten and text searched in worker processes give byte-identical files, and the parallel search still
    finds a planted leak."""
    from flockwatch.disclose import search_release

    with Workspace.open(scenario.ws_dir, read_only=True) as ws:
        subjects = draft_subjects(ws, network="N0001")
        key = load_key(scenario.key_file)
        opts = dict(pdf=False, statement=False, pseudonymise_post_ids=True)
        one = publish(ws, subjects, key, tmp_path / "one", ReleaseOptions(n_workers=1, **opts))
        two = publish(ws, subjects, key, tmp_path / "two", ReleaseOptions(n_workers=2, **opts))
    for a, b in ((one.archive.users_file, two.archive.users_file), (one.archive.tweets_file, two.archive.tweets_file)):
        assert a.read_bytes() == b.read_bytes()
    tweets = _rows(one.archive.tweets_file)
    assert not any(t["tweetid"].isdigit() for t in tweets)  # post ids pseudonymised too
    (tmp_path / "two" / "leak.txt").write_text(f"x %40{scenario.victim_handle}")
    report = search_release(tmp_path / "two", {scenario.victim_handle}, n_workers=2)
    assert [leak.file for leak in report.leaks] == ["leak.txt"]


HOSTILE_CSV_TEXTS = [
    'quote " and ""double"" , comma',
    "line1\nline2\r\nline3",
    "nul\x00byte",
    "tab\there ; semi",
    "\ufeffbom start",
    "emoji 👍🏽 zwj 👨\u200d👩\u200d👧",
    "rtl \u202eevil\u202c",
    '"',
    " ",
]


def test_hostile_text_round_trips_through_the_archive(scenario, tmp_path):
    """Quotes, newlines, NUL, BOM, bidi controls and emoji sequences survive the CSV writer and the reader."""
    import datetime as dt
    import shutil

    ws_dir = tmp_path / "ws"
    shutil.copytree(scenario.ws_dir, ws_dir)
    with Workspace.open(ws_dir) as ws:
        for i, text in enumerate(HOSTILE_CSV_TEXTS):
            ws.engine.sql(
                "INSERT INTO actions VALUES ('twitter', ?, ?, 'post', ?, NULL, NULL, ?, 'en', 'x')",
                [f"7700000000000{i:05d}", scenario.member, dt.datetime(2019, 7, 2, i), text],
            )
        subjects = draft_subjects(ws, network="N0001")
        rel = publish(
            ws, subjects, load_key(scenario.key_file), tmp_path / "r", ReleaseOptions(pdf=False, statement=False)
        )
    with Workspace.create(tmp_path / "again", registry=False) as ws:
        ingest_paths(ws, sorted(rel.out_dir.glob("*.csv")))
        assert ws.info()["tables"]["quarantine"] == 0
        back = [
            r[0]
            for r in ws.engine.sql(
                "SELECT text FROM actions WHERE action_id LIKE '7700000000000%' ORDER BY action_id"
            ).rows()
        ]
    assert back == HOSTILE_CSV_TEXTS


def test_draft_of_a_candidate_operation_discloses_all_its_networks(scenario):
    from flockwatch.core.runs import not_weak_sql
    from flockwatch.networks import load_operations

    with Workspace.open(scenario.ws_dir, read_only=True) as ws:
        op = load_operations(ws)[0]
        subjects = draft_subjects(ws, operation=op.operation_id)
        # every member that carries the flag (weakly linked members are not named: test below)
        members = ws.engine.sql(
            "SELECT count(DISTINCT account_id) FROM network_members WHERE list_contains(?::VARCHAR[], network_id) "
            f"AND run_id = ? AND {not_weak_sql()}",
            [op.network_ids, op.run_id],
        ).scalar()
        with pytest.raises(ValidationError, match="O9999"):
            draft_subjects(ws, operation="O9999")
    assert subjects.draft and subjects.network_ids == op.network_ids and len(subjects.subjects) == members
    assert {s.network_id for s in subjects.subjects} <= set(op.network_ids)


def test_weakly_linked_members_are_not_subjects_of_a_draft(scenario, tmp_path):
    """A member marked weakly_linked (no own evidence, tied only through ordinary popular content) is not named in a
    draft release; the other members are."""
    import shutil

    from flockwatch.core.runs import WEAKLY_LINKED, latest_run

    copy = tmp_path / "ws"
    shutil.copytree(scenario.ws_dir, copy)
    with Workspace.open(copy) as ws:
        before = draft_subjects(ws, network="N0001").account_ids
        weak = before[-1]
        ws.engine.sql(
            "UPDATE network_members SET assessment = ? WHERE run_id = ? AND network_id = 'N0001' AND account_id = ?",
            [WEAKLY_LINKED, latest_run(ws.engine), weak],
        )
        after = draft_subjects(ws, network="N0001").account_ids
    assert after == [a for a in before if a != weak]
