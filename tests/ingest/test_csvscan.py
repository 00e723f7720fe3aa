"""CSV edge cases shared by every CSV reader (``ingest/csvscan.py``): line numbers, line ends, headers."""

from __future__ import annotations

import pytest

from flockwatch.errors import InputFileError
from flockwatch.ingest import ingest_paths

HEADER = b"userid,login_time,ip_prefix,asn,country,via_vpn"


def _row(i: int) -> bytes:
    return f"u{i},2019-08-01T00:00:{i:02d}Z,10.0.{i}.0/24,4134,CN,true".encode()


def _quarantine(ws):
    return ws.engine.sql("SELECT line, reason FROM quarantine ORDER BY line").rows()


def test_line_numbers_stay_exact_after_rejected_lines(ws, tmp_path):
    lines = [HEADER, _row(1), b"junk", _row(2), b"\xff\xfe,bad", _row(3), _row(4).replace(b"4134", b"AS-x"), _row(5)]
    f = tmp_path / "logins.csv"
    f.write_bytes(b"\n".join(lines) + b"\n")
    [s] = ingest_paths(ws, [f])
    assert [line for line, _ in _quarantine(ws)] == [3, 5, 7]
    assert _quarantine(ws)[2][1] == "asn: cannot parse 'AS-x' as a whole number"
    assert (s.rows_read, s.rows_loaded) == (7, 4)


def test_mixed_crlf_and_lf_line_ends_load_every_row(ws, tmp_path):
    f = tmp_path / "logins.csv"
    f.write_bytes(HEADER + b"\r\n" + _row(1) + b"\n" + _row(2) + b"\r\n" + _row(3) + b"\n")
    [s] = ingest_paths(ws, [f])
    assert (s.rows_loaded, s.rows_quarantined) == (3, 0)
    assert ws.engine.sql("SELECT count(*) FROM infrastructure WHERE country = 'CN'").scalar() == 3


def test_header_names_are_case_and_space_insensitive_and_order_free(ws, tmp_path):
    f = tmp_path / "logins.csv"
    f.write_bytes(
        b"\xef\xbb\xbf Via_VPN,Country,ASN,IP_Prefix,Login_Time,UserID\ntrue,CN,4134,10.0.0.0/24,"
        b"2019-08-01 00:00:00,u1\n"
    )
    [s] = ingest_paths(ws, [f])
    assert s.format == "login_events" and s.rows_loaded == 1
    assert ws.engine.sql("SELECT account_id, asn, via_vpn FROM infrastructure").rows() == [("u1", 4134, True)]


def test_a_file_without_a_header_is_refused(ws, tmp_path):
    f = tmp_path / "x.csv"
    f.write_bytes(b"\n\nfoo,bar\n")
    with pytest.raises(InputFileError, match="not a CSV header"):
        ingest_paths(ws, [f], format="login_events")


TIME_SAMPLES = [
    "2019-08-01 10:20:30",
    "2019-08-01 10:20",
    "2019-8-1 10:20:30",
    "2019-08-01",
    " 2019-08-01 10:20:3",
    "2019-08-01 10:20 ",
    "2019-13-45 10:20",
    "2019-02-30 00:00:00",
    "2019-08-01 24:00:00",
    "2019-1-1 10:10:1",
    "08/01/2019 10:20",
    "2019-08-01T10:20:30+02:00",
    "2019-08-01T10:20:30Z",
    "2019-08-01 10:20:30.5",
    "not a time at all",
    "2019-08-01 1:20:30",
    "",
    "   ",
]


@pytest.mark.parametrize("value", TIME_SAMPLES)
def test_time_fast_path_agrees_with_the_general_parser(value):
    """The single-layout fast path of sql_time never changes a result: it equals the list + ISO parse alone."""
    from flockwatch.core.sql import sql_literal
    from flockwatch.engine import DuckDBEngine
    from flockwatch.ingest.csvscan import TIME_FORMATS, sql_time

    e = DuckDBEngine.memory()
    try:
        v = f"nullif({sql_literal(value)}, '')"
        fmts = ", ".join(sql_literal(f) for f in TIME_FORMATS)
        general = f"coalesce(try_strptime(trim({v}), [{fmts}]), CAST(TRY_CAST(trim({v}) AS TIMESTAMPTZ) AS TIMESTAMP))"
        fast, slow = e.sql(f"SELECT {sql_time(v)}, {general}").one()
        assert fast == slow
    finally:
        e.close()


def test_archive_times_in_both_layouts_parse_to_utc(ws, tmp_path):
    f = tmp_path / "logins.csv"
    f.write_bytes(
        HEADER + b"\nu1,2019-08-01 10:20:30,10.0.0.0/24,1,CN,true\nu2,2019-08-01 10:20,10.0.0.0/24,1,CN,"
        b"true\nu3,2019-08-01T12:20:30+02:00,10.0.0.0/24,1,CN,true\n"
    )
    ingest_paths(ws, [f])
    got = ws.engine.sql(
        "SELECT account_id, strftime(seen_at, '%Y-%m-%d %H:%M:%S') FROM infrastructure ORDER BY 1"
    ).rows()
    assert got == [("u1", "2019-08-01 10:20:30"), ("u2", "2019-08-01 10:20:00"), ("u3", "2019-08-01 10:20:30")]
