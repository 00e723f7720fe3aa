"""The write side of the reader contract (``ReadContext.insert`` / ``quarantine``) and the file transaction.

Readers write straight into the canonical tables; these tests pin what that must keep: first row per key wins
(inside one select and against the warehouse), counts of added rows, quarantine rows tagged with the ingest, and
a reader failing after writing leaves nothing behind (the transaction its first write opened is rolled back).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flockwatch.ingest import ReadContext, ReadResult, Sniff, ingest_file, ingest_paths


class _ScriptedReader:
    """A reader whose ``read`` runs a given function (for exercising the loader, not a file format)."""

    name = "scripted"
    description = "test reader"
    default_platform = "twitter"

    def __init__(self, body) -> None:
        self.body = body

    def sniff(self, sniff: Sniff) -> bool:
        return False

    def read(self, ctx: ReadContext) -> ReadResult:
        return self.body(ctx)


def _file(tmp_path: Path, content: str) -> Path:
    p = tmp_path / f"f{abs(hash(content))}.txt"
    p.write_text(content)
    return p


ROWS = """SELECT * FROM (VALUES
    ('twitter', 'a1', 'u1', 'post', 1), ('twitter', 'a2', 'u1', 'post', 2),
    ('twitter', 'a1', 'u2', 'reply', 3)) t(platform, action_id, account_id, kind, n) ORDER BY n"""


def test_insert_keeps_the_first_row_per_key_and_skips_existing_keys(ws, tmp_path):
    cols = ["platform", "action_id", "account_id", "kind"]

    def body(ctx: ReadContext) -> ReadResult:
        assert ctx.insert("actions", f"SELECT {', '.join(cols)} FROM ({ROWS})", cols) == 2
        # The same keys again (a second select in the same file): nothing new.
        assert ctx.insert("actions", f"SELECT {', '.join(cols)} FROM ({ROWS})", cols) == 0
        return ReadResult(3)

    s = ingest_file(ws, _file(tmp_path, "one"), _ScriptedReader(body))
    assert s.added == {"actions": 2}
    got = ws.engine.sql("SELECT action_id, account_id, kind FROM actions ORDER BY 1").rows()
    assert got == [("a1", "u1", "post"), ("a2", "u1", "post")]

    def later(ctx: ReadContext) -> ReadResult:
        ctx.insert(
            "actions",
            "SELECT 'twitter' AS platform, 'a2' AS action_id, 'u9' AS account_id, "
            "'repost' AS kind UNION ALL SELECT 'twitter', 'a3', 'u9', 'post'",
            cols,
        )
        return ReadResult(2)

    s2 = ingest_file(ws, _file(tmp_path, "two"), _ScriptedReader(later))
    assert s2.added == {"actions": 1}
    assert ws.engine.sql("SELECT account_id FROM actions WHERE action_id = 'a2'").scalar() == "u1"


def test_insert_refuses_a_select_without_the_key(ws, tmp_path):
    def body(ctx: ReadContext) -> ReadResult:
        ctx.insert("actions", "SELECT 'twitter' AS platform", ["platform"])
        return ReadResult(1)

    with pytest.raises(ValueError, match="action_id"):
        ingest_file(ws, _file(tmp_path, "nokey"), _ScriptedReader(body))


def test_quarantine_rows_carry_the_ingest_and_count_in_the_summary(ws, tmp_path):
    def body(ctx: ReadContext) -> ReadResult:
        ctx.quarantine("SELECT * FROM (VALUES (7, 'x: bad', 'raw7'), (3, 'y: bad', 'raw3')) t(line, reason, raw)")
        return ReadResult(10)

    s = ingest_file(ws, _file(tmp_path, "q"), _ScriptedReader(body))
    assert (s.rows_read, s.rows_quarantined, s.rows_loaded) == (10, 2, 8)
    assert s.quarantined_by_reason == {"x: bad": 1, "y: bad": 1}
    rows = ws.engine.sql("SELECT ingest_id, line, reason FROM quarantine ORDER BY line").rows()
    assert rows == [(s.ingest_id, 3, "y: bad"), (s.ingest_id, 7, "x: bad")]


@pytest.mark.parametrize("failure", ["python", "sql"])
def test_a_reader_failing_after_writes_leaves_the_workspace_unchanged(ws, tmp_path, failure):
    def body(ctx: ReadContext) -> ReadResult:
        ctx.insert("accounts", "SELECT 'twitter' AS platform, 'u1' AS account_id", ["platform", "account_id"])
        ctx.quarantine("SELECT 2 AS line, 'r' AS reason, 'raw' AS raw")
        if failure == "python":
            raise RuntimeError("reader broke")
        ctx.engine.sql("SELECT CAST('not a number' AS BIGINT)")  # fails inside the open transaction
        return ReadResult(1)

    expected = {"python": "reader broke", "sql": "Could not convert string 'not a number'"}[failure]
    with pytest.raises(Exception, match=expected):
        ingest_file(ws, _file(tmp_path, "fail"), _ScriptedReader(body))
    e = ws.engine
    assert (e.count("accounts"), e.count("quarantine"), e.count("ingests")) == (0, 0, 0)

    # The engine is usable again and the same file can be loaded by a working reader.
    def ok(ctx: ReadContext) -> ReadResult:
        ctx.insert("accounts", "SELECT 'twitter' AS platform, 'u1' AS account_id", ["platform", "account_id"])
        return ReadResult(1)

    s = ingest_file(ws, _file(tmp_path, "fail"), _ScriptedReader(ok))
    assert s.status == "loaded" and s.added == {"accounts": 1}


def test_an_activity_file_records_each_account_under_its_first_handle(ws, tmp_path):
    """Accounts known only from activity (a CNT CSV): one row per account with the handle of its first row in the
    file; the handle history holds that handle, and a later file's new handle is added to the history only."""
    one = tmp_path / "one.csv"
    one.write_text(
        "message_id,user_id,username,repost_id,reply_id,message,timestamp,urls\n"
        "m1,u2,,,,hello there,1564617600,\n"
        "m2,u1,alice,,,x,1564617601,\n"
        "m3,u1,alice_renamed,m1,,,1564617602,\n"
        "m4,u2,bob,m1,,,1564617603,\n"
    )
    ingest_paths(ws, [one])
    got = ws.engine.sql("SELECT account_id, screen_name FROM accounts ORDER BY 1").rows()
    assert got == [("u1", "alice"), ("u2", None)]
    assert ws.engine.sql("SELECT account_id, screen_name FROM account_handles ORDER BY 1").rows() == [("u1", "alice")]
    two = tmp_path / "two.csv"
    two.write_text(
        "message_id,user_id,username,repost_id,reply_id,message,timestamp,urls\n"
        "m5,u1,alice_new,,,y,1564617700,\nm6,u3,carol,,,z,1564617701,\n"
    )
    ingest_paths(ws, [two])
    assert ws.engine.sql("SELECT account_id, screen_name FROM accounts ORDER BY 1").rows() == [
        ("u1", "alice"),
        ("u2", None),
        ("u3", "carol"),
    ]
    handles = ws.engine.sql("SELECT account_id, screen_name FROM account_handles ORDER BY 1, 2").rows()
    assert handles == [("u1", "alice"), ("u1", "alice_new"), ("u3", "carol")]
