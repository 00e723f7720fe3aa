"""The platform_assets reader: each malformed line is quarantined with its line and reason (and loads nothing, not
even the asset without its admins); the good lines load; re-ingesting the same records adds nothing."""

from __future__ import annotations

import json

from flockwatch.ingest import ingest_file, ingest_paths, registry


def test_malformed_lines_are_quarantined_with_line_and_reason(ws, tmp_path):
    lines = [
        {"asset_id": "p1", "kind": "page", "name": "Good", "admins": [{"account_id": "u1"}, "u2"]},
        {"kind": "page", "name": "no id"},
        {"asset_id": "p3", "kind": "channel"},
        {"asset_id": "p4", "kind": "page", "created_at": "last tuesday"},
        {"asset_id": "p5", "kind": "group", "follower_count": -3},
        {"asset_id": "p6", "kind": "group", "admins": "u1"},
        {"asset_id": "p7", "kind": "group", "admins": [{"role": "admin"}]},
        ["not", "an", "object"],
        {"asset_id": "g8", "kind": "group", "platform": "vk", "follower_count": 12, "admins": [{"account_id": 9}]},
    ]
    path = tmp_path / "assets.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    [s] = ingest_paths(ws, [path])
    assert s.format == "platform_assets" and (s.rows_read, s.rows_loaded, s.rows_quarantined) == (9, 2, 7)
    got = ws.engine.sql("SELECT line, reason FROM quarantine ORDER BY line").rows()
    assert got == [
        (2, "asset_id: missing"),
        (3, "kind: 'channel' is not one of page, group"),
        (4, "created_at: not a time"),
        (5, "follower_count: not a whole number >= 0"),
        (6, "admins: not a list"),
        (7, "admins: an admin without an account id"),
        (8, "json: not an asset object"),
    ]
    assert ws.engine.sql("SELECT platform, asset_id, kind FROM assets ORDER BY asset_id").rows() == [
        ("vk", "g8", "group"),
        ("facebook", "p1", "page"),
    ]
    assert ws.engine.sql("SELECT asset_id, account_id, role FROM asset_admins ORDER BY 1, 2").rows() == [
        ("g8", "9", "admin"),
        ("p1", "u1", "admin"),
        ("p1", "u2", "admin"),
    ]
    # the same records again (other bytes): nothing new
    again = tmp_path / "again.jsonl"
    again.write_text(path.read_text() + "\n")
    assert ingest_file(ws, again, registry.get("platform_assets")).added == {}
