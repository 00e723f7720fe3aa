"""Anchors through the CLI, on SQLite and PostgreSQL, checked with the public key only: an untouched log passes (also
after more entries are appended); a log rewritten consistently (every hash recomputed, so the chain alone looks
intact) and a log whose tail was cut off are both caught by `audit verify --public-key`."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url

from flockwatch.cli.app import main
from flockwatch.review import audit
from flockwatch.store import open_store
from flockwatch.store.tables import ops_audit

import opsdb


def _owner(env):
    """A connection with the owner's rights, the audit guard removed (what an insider with DBA access could do)."""
    store = env.store()
    if env.backend == "postgresql":
        owner = open_store(opsdb.owner_url(make_url(store.url).database))
        conn = owner.begin()
        c = conn.__enter__()
        c.execute(text("ALTER TABLE ops_audit DISABLE TRIGGER ops_audit_no_change"))
        return conn, c
    conn = store.begin()
    c = conn.__enter__()
    c.execute(text("DROP TRIGGER ops_audit_no_update"))
    c.execute(text("DROP TRIGGER ops_audit_no_delete"))
    return conn, c


def _rewrite_consistently(c) -> None:
    """Change entry 2's actor and recompute every hash after it: the chain verifies on its own."""
    rows = [dict(r._mapping) for r in c.execute(select(ops_audit).order_by(ops_audit.c.seq))]
    prev = audit.GENESIS
    for r in rows:
        if r["seq"] == 2:
            r["actor"] = "mallory"
        cols = ("seq", "at", "actor", "os_user", "action", "object_ref", "reason", "evidence_json")
        h = audit.entry_hash(*(r[k] for k in cols), r["before_json"], r["after_json"], prev)
        c.execute(
            update(ops_audit).where(ops_audit.c.seq == r["seq"]).values(actor=r["actor"], prev_hash=prev, entry_hash=h)
        )
        prev = h


@pytest.mark.parametrize("tamper", ["none", "rewrite", "truncate"])
def test_anchor_catches_a_rewritten_or_truncated_log(review_env, capsys, tmp_path, tamper):
    env = review_env
    key, pub, anchors = tmp_path / "audit.pem", tmp_path / "audit.pub", tmp_path / "audit.anchors"
    assert main(["audit", "keygen", "--key-file", str(key)]) == 0
    assert env.cli("case", "open", "--network", "N0001", *env.as_user("alice")) == 0
    assert (
        env.cli("audit", "anchor", "--key-file", str(key), "--anchors", str(anchors), "--public-key-out", str(pub)) == 0
    )
    assert b"PUBLIC KEY" in pub.read_bytes() and b"PRIVATE" not in pub.read_bytes()
    # the public half alone is enough to check; it cannot anchor
    assert env.cli("audit", "anchor", "--key-file", str(pub), "--anchors", str(anchors)) == 2
    assert env.cli("case", "open", "--network", "N0002", *env.as_user("alice")) == 0  # appended after the anchor
    head = audit.verify(env.store()).head_seq
    verify = ["audit", "verify", "--public-key", str(pub), "--anchors", str(anchors)]
    capsys.readouterr()

    if tamper == "none":
        assert env.cli(*verify) == 0
        assert "intact" in capsys.readouterr().out
        return
    tx, c = _owner(env)
    if tamper == "rewrite":
        _rewrite_consistently(c)
    else:
        c.execute(text(f"DELETE FROM ops_audit WHERE seq >= {head - 2}"))  # the anchored head goes with the tail
    tx.__exit__(None, None, None)

    assert env.cli("audit", "verify") == 0  # the chain alone cannot tell
    capsys.readouterr()
    assert env.cli(*verify) == 1
    out = capsys.readouterr().out
    assert ("rewritten" if tamper == "rewrite" else "truncated") in out


def test_export_public_key_and_option_checks(tmp_path, review_env, capsys):
    env = review_env
    key = tmp_path / "k.pem"
    assert main(["audit", "keygen", "--key-file", str(key)]) == 0
    main_args = ["audit", "export-public-key", "--key-file", str(key), "--out", str(tmp_path / "k.pub")]
    assert main(main_args) == 0 and main(main_args) == 0  # the same key again is harmless
    other = tmp_path / "other.pem"
    audit.write_key(other)
    assert main(["audit", "export-public-key", "--key-file", str(other), "--out", str(tmp_path / "k.pub")]) == 2
    assert env.cli("audit", "verify", "--public-key", str(tmp_path / "k.pub")) == 2  # needs --anchors
    assert "--anchors" in capsys.readouterr().err
