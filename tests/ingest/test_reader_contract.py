"""The contract every registered reader passes (adding a reader = one module + one registry line + a fixture).

For each name in ``registry.names()``: it recognises its own fixture and no other reader's; the fixture loads
with nothing quarantined; loading it again adds nothing (same bytes: skipped; different bytes, same records:
nothing new); junk lines appended are quarantined while the good rows still load; an empty file and a
header-only file load nothing without failing.
"""

from __future__ import annotations

import pytest

from flockwatch.ingest import ingest_file, ingest_paths, registry
from flockwatch.ingest.loader import _sniff
from flockwatch.workspace import Workspace

from .helpers import READER_FIXTURES, UNIT_TABLE

NAMES = registry.names()
JUNK_LINES = [b"this line is junk", b"\xff\xfe\x00 not text,,", b'{"broken": ', b"1,2"]


def test_every_reader_has_a_fixture():
    assert set(NAMES) == set(READER_FIXTURES)


@pytest.mark.parametrize("name", NAMES)
def test_sniffs_its_own_fixtures_and_no_others(name):
    reader = registry.get(name)
    for fixture in READER_FIXTURES[name]:
        assert reader.sniff(_sniff(fixture)), fixture
        assert registry.detect(_sniff(fixture)) is reader, fixture
    for other, fixtures in READER_FIXTURES.items():
        if other != name:
            for fixture in fixtures:
                assert not reader.sniff(_sniff(fixture)), f"{name} claims {other}'s {fixture.name}"


@pytest.mark.parametrize("name", NAMES)
def test_loads_with_nothing_quarantined_and_reingest_adds_nothing(name, ws, tmp_path):
    fixture = READER_FIXTURES[name][0]
    [first] = ingest_paths(ws, [fixture])
    assert first.status == "loaded" and first.rows_quarantined == 0 and first.rows_loaded == first.rows_read > 0
    counts = {t.name: t.rows for t in ws.tables()}
    [again] = ingest_paths(ws, [fixture])
    assert again.status == "skipped"
    # Different bytes (one more trailing newline), same records: loaded, yet no canonical row is new.
    copy = tmp_path / fixture.name
    copy.write_bytes(fixture.read_bytes().rstrip(b"\n") + b"\n\n")
    third = ingest_file(ws, copy, registry.get(name))
    assert third.status == "loaded" and third.added == {}
    after = {t.name: t.rows for t in ws.tables()}
    for table in after:
        if table not in ("ingests", "quarantine"):
            assert after[table] == counts[table], table
    assert after["quarantine"] == 0


@pytest.mark.parametrize("name", NAMES)
def test_junk_lines_are_quarantined_and_good_rows_kept(name, ws, tmp_path):
    fixture = READER_FIXTURES[name][0]
    [good] = ingest_paths(ws, [fixture])
    unit = UNIT_TABLE[name]
    n_good = ws.engine.count(unit)
    data = fixture.read_bytes().rstrip(b"\n") + b"\n" + b"\n".join(JUNK_LINES) + b"\n"
    dirty = tmp_path / fixture.name
    dirty.write_bytes(data)
    with Workspace.memory() as w2:
        [s] = ingest_paths(w2, [dirty], format=name)
        assert s.rows_quarantined == len(JUNK_LINES), s.quarantined_by_reason
        assert w2.engine.count(unit) == n_good
        rows = w2.engine.sql("SELECT line, reason, raw FROM quarantine ORDER BY line").rows()
        assert all(reason and line >= 1 for line, reason, _ in rows)
        assert [line for line, _, _ in rows] == sorted({line for line, _, _ in rows})
        assert s.rows_read == good.rows_read + len(JUNK_LINES)


@pytest.mark.parametrize("name", NAMES)
def test_empty_and_header_only_files_load_nothing(name, ws, tmp_path):
    reader = registry.get(name)
    empty = tmp_path / "empty.dat"
    empty.write_bytes(b"")
    s = ingest_file(ws, empty, reader)
    assert (s.status, s.rows_read, s.rows_quarantined) == ("loaded", 0, 0)
    first_line = READER_FIXTURES[name][0].read_bytes().split(b"\n", 1)[0]
    if not first_line.startswith(b"{"):
        header_only = tmp_path / "header.csv"
        header_only.write_bytes(first_line + b"\n")
        s = ingest_file(ws, header_only, reader)
        assert (s.rows_read, s.rows_quarantined) == (0, 0)
    assert sum(t.rows for t in ws.tables() if t.name not in ("ingests",)) == 0
