"""A tip opens a case holding the matched accounts and Pages with their evidence; a case exports as a tip."""

from __future__ import annotations

import json

from flockwatch.cli.app import main
from flockwatch.review.cases import get_case
from flockwatch.share import stix_export
from flockwatch.workspace import Workspace

import tip_scenario as sc


def test_import_opens_a_case_and_the_case_exports(tmp_path, capsys):
    wdir = tmp_path / "fb"
    with Workspace.create(wdir, registry=False) as ws:
        sc.build_receiver(ws)
    with Workspace.create(tmp_path / "tw", registry=False) as ws:
        sc.build_sender(ws)
    tip = tmp_path / "tip.json"
    assert (
        main(
            [
                "tips",
                "export",
                "--network",
                "N0001",
                "--out",
                str(tip),
                "--workspace",
                str(tmp_path / "tw"),
                "--no-attribution",
            ]
        )
        == 0
    )
    assert main(["users", "add", "alice", "--role", "admin", "--workspace", str(wdir)]) == 0
    capsys.readouterr()
    code = main(
        [
            "tips",
            "import",
            str(tip),
            "--json",
            "--trust",
            "0.9",
            "--by",
            "alice",
            "--min-confidence",
            "medium",
            "--workspace",
            str(wdir),
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["case_id"]
    with Workspace.open(wdir) as ws:
        snap = get_case(ws.ops(), out["case_id"])
    held = {(s.kind, s.subject_id) for s in snap.subjects}
    assert {("account", a) for a in sc.RECEIVER_MATCHES} <= held and ("page", "fbpage9") in held
    assert not any(a.startswith("c") for _, a in held)  # low leads stay in the record only
    fb3 = next(s for s in snap.subjects if s.subject_id == "fb3")
    assert fb3.evidence["tlp"] == "TLP:AMBER" and fb3.evidence["peer"] == "flockwatch user"
    assert any("former handle" in m["detail"] for m in fb3.evidence["matches"])
    assert snap.actions == []  # a tip proposes nothing

    back = tmp_path / "case.json"
    assert (
        main(
            [
                "tips",
                "export",
                "--case",
                out["case_id"],
                "--out",
                str(back),
                "--workspace",
                str(wdir),
                "--no-attribution",
            ]
        )
        == 0
    )
    doc = json.loads(back.read_text())
    assert stix_export.unresolved_refs(doc) == []
    (iset,) = [o for o in doc["objects"] if o["type"] == "intrusion-set"]
    assert "candidate" in iset["labels"]
    logins = {o.get("user_id") for o in doc["objects"] if o["type"] == "user-account"}
    assert set(sc.RECEIVER_MATCHES) | {"fbpage9"} <= logins


def test_import_without_an_acting_user_opens_no_case(tmp_path, capsys):
    wdir = tmp_path / "fb"
    with Workspace.create(wdir, registry=False) as ws:
        sc.build_receiver(ws)
    tip = tmp_path / "tip.json"
    tip.write_text(json.dumps(sc.collision_bundle()))
    assert main(["tips", "import", str(tip), "--json", "--workspace", str(wdir)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["case_id"] is None and out["matched"]
