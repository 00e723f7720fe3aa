"""TAXII 2.1 against a real medallion server on loopback: push, idempotent re-push, paginated pull, failures."""

from __future__ import annotations

import json

import pytest

from flockwatch.cli.app import main
from flockwatch.errors import ExternalError, UserError
from flockwatch.share import stix_export, subjects, taxii
from flockwatch.workspace import Workspace

import taxii_server as ts
import tip_scenario as sc


@pytest.fixture(scope="module")
def bundle():
    ws = Workspace.memory()
    sc.build_sender(ws)
    doc = json.loads(stix_export.build_bundle(ws, subjects.from_network(ws, "N0001")).serialize())
    ws.close()
    return doc


@pytest.fixture
def server(tmp_path):
    with ts.serve(tmp_path, page_size=25) as srv:
        yield srv


def _target(srv, password=ts.PASSWORD, collection=ts.COLLECTION):
    return taxii.TaxiiTarget(srv.url, "api1", collection, ts.USER, password, timeout_s=10)


def test_push_repush_and_paginated_pull(server, bundle):
    n = len(bundle["objects"])
    assert n > 3 * server.page_size  # the pull below needs several pages
    first = taxii.push(bundle, _target(server), objects_per_request=40)
    assert (first.objects, first.added, first.already_present, first.failed) == (n, n, 0, [])
    again = taxii.push(bundle, _target(server), objects_per_request=40)
    assert (again.added, again.already_present, again.failed) == (0, n, [])
    pulled = taxii.pull(_target(server), objects_per_request=server.page_size)
    assert sorted(o["id"] for o in pulled["objects"]) == sorted(o["id"] for o in bundle["objects"])
    assert stix_export.unresolved_refs(pulled) == []


def test_wrong_password_is_a_clear_user_error(server, bundle):
    with pytest.raises(UserError, match=r"refused user 'peer' \(HTTP 401\)"):
        taxii.push(bundle, _target(server, password="wrong"))
    with pytest.raises(UserError, match="HTTP 401"):
        taxii.pull(_target(server, password="wrong"))


def test_server_down_is_external_and_loses_nothing(tmp_path, bundle):
    path = tmp_path / "tip.json"
    path.write_text(json.dumps(bundle))
    before = path.read_bytes()
    t = taxii.TaxiiTarget(
        f"http://127.0.0.1:{ts.free_port()}", "api1", ts.COLLECTION, ts.USER, ts.PASSWORD, timeout_s=3
    )
    with pytest.raises(ExternalError, match="cannot reach the TAXII server"):
        taxii.push(bundle, t)
    pw = tmp_path / "pw"
    pw.write_text(ts.PASSWORD + "\n")
    code = main(
        [
            "tips",
            "push",
            str(path),
            "--server",
            t.server,
            "--api-root",
            "api1",
            "--collection",
            ts.COLLECTION,
            "--user",
            ts.USER,
            "--password-file",
            str(pw),
        ]
    )
    assert code == 3 and path.read_bytes() == before
    out = tmp_path / "pulled.json"
    code = main(
        [
            "tips",
            "pull",
            "--out",
            str(out),
            "--server",
            t.server,
            "--api-root",
            "api1",
            "--collection",
            ts.COLLECTION,
            "--user",
            ts.USER,
            "--password-file",
            str(pw),
        ]
    )
    assert code == 3 and not out.exists() and not list(tmp_path.glob("pulled.json*"))


def test_cli_round_trip_with_password_from_env(server, bundle, tmp_path, monkeypatch, capsys):
    path = tmp_path / "tip.json"
    path.write_text(json.dumps(bundle))
    monkeypatch.setenv(taxii.PASSWORD_ENV, ts.PASSWORD)
    args = ["--server", server.url, "--api-root", "api1", "--collection", ts.COLLECTION, "--user", ts.USER]
    assert main(["tips", "push", str(path), *args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == len(bundle["objects"])
    assert main(["tips", "push", str(path), *args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["already_present"] == len(bundle["objects"])
    out = tmp_path / "pulled.json"
    assert main(["tips", "pull", "--out", str(out), *args]) == 0
    assert len(json.loads(out.read_text())["objects"]) == len(bundle["objects"])


def test_no_password_anywhere_is_refused_and_argv_has_no_password_option(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv(taxii.PASSWORD_ENV, raising=False)
    path = tmp_path / "tip.json"
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": []}))
    args = [
        "tips",
        "push",
        str(path),
        "--server",
        "http://127.0.0.1:9",
        "--api-root",
        "a",
        "--collection",
        "c",
        "--user",
        "u",
    ]
    assert main(args) == 2
    assert taxii.PASSWORD_ENV in capsys.readouterr().err
    assert main([*args, "--password", "secret"]) == 2  # no such option


def test_read_only_collection_is_refused_by_name(server, bundle):
    with pytest.raises(UserError, match="does not allow writing"):
        taxii.push(bundle, _target(server, collection=ts.READ_ONLY))
