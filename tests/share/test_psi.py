"""Private set intersection over files: exactly the shared items, nothing else leaves unblinded, caps, audit."""

from __future__ import annotations

import hashlib
import json

import pytest

from flockwatch.cli.app import main
from flockwatch.errors import InputFileError, ValidationError
from flockwatch.share import psi

SHARED = [f"Shared_{i}" for i in range(20)]
ONLY_A = [f"alice_only_{i}" for i in range(180)]
ONLY_B = [f"bob_only_{i}" for i in range(280)]


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(tmp_path, a_lines, b_lines, kind="handle"):
    a = psi.read_items(_write(tmp_path / "a.txt", a_lines), kind)
    b = psi.read_items(_write(tmp_path / "b.txt", b_lines), kind)
    audit = tmp_path / "audit.jsonl"
    psi.request(a, kind, tmp_path / "request.json", tmp_path / "state.json", "B", audit)
    psi.respond(b, kind, tmp_path / "request.json", tmp_path / "response.json", "A", audit_path=audit)
    return psi.finish(tmp_path / "state.json", tmp_path / "response.json", "B", audit), audit


def test_exactly_the_shared_items_are_found(tmp_path):
    # B holds the shared handles in another case and with '@': handles compare case-insensitively
    result, _ = _run(tmp_path, SHARED + ONLY_A, ["@" + s.upper() for s in SHARED] + ONLY_B)
    assert [psi.display(x) for x in result.shared] == sorted(s.lower() for s in SHARED)
    assert (result.mine, result.theirs) == (200, 300)


def _forms(item: str) -> set[bytes]:
    """An item as it could leak: plain text (raw and normalised) and under common unkeyed hashes."""
    out: set[bytes] = set()
    for text in {item, item.lower(), f"handle:{item.lower()}"}:
        raw = text.encode()
        out.add(raw)
        for h in (hashlib.sha256, hashlib.sha1, hashlib.md5, hashlib.sha512):
            out.add(h(raw).hexdigest().encode())
            out.add(h(raw).digest().hex().encode())
    return out


def test_non_matching_items_never_leave_unblinded(tmp_path):
    _run(tmp_path, SHARED + ONLY_A, SHARED + ONLY_B)
    request = (tmp_path / "request.json").read_bytes()
    response = (tmp_path / "response.json").read_bytes()
    state = json.loads((tmp_path / "state.json").read_text())
    for item in ONLY_A + SHARED:
        assert not any(f in request for f in _forms(item)), item
    for item in ONLY_B + SHARED:
        assert not any(f in response for f in _forms(item)), item
    # A's key stays in A's state file, never in what A sends
    assert state["key"] not in request.decode()
    assert oct((tmp_path / "state.json").stat().st_mode & 0o777) == "0o600"
    # the blinding depends on the key: the same list blinds differently on every run
    first = json.loads(request)["request"]
    _run(tmp_path, SHARED + ONLY_A, SHARED + ONLY_B)
    assert json.loads((tmp_path / "request.json").read_bytes())["request"] != first


def test_nothing_shared_gives_nothing(tmp_path):
    result, _ = _run(tmp_path, ONLY_A, ONLY_B)
    assert result.shared == []


def test_audit_has_sizes_and_digests_not_items(tmp_path):
    _, audit = _run(tmp_path, SHARED + ONLY_A, SHARED + ONLY_B)
    entries = [json.loads(x) for x in audit.read_text().splitlines()]
    assert [e["psi"] for e in entries] == ["request", "respond", "finish"]
    assert entries[0]["items"] == 200 and entries[1]["their_items"] == 200 and entries[2]["shared"] == 20
    assert all(e["os_user"] and e["counterpart"] for e in entries)
    text = audit.read_text()
    assert not any(s.lower() in text for s in SHARED + ONLY_A + ONLY_B)


def test_caps_are_enforced_by_both_parties(tmp_path):
    with pytest.raises(InputFileError, match="more than the cap of 10"):
        psi.read_items(_write(tmp_path / "big.txt", ONLY_A), "handle", max_items=10)
    a = psi.read_items(_write(tmp_path / "a.txt", ONLY_A), "handle")
    psi.request(a, "handle", tmp_path / "request.json", tmp_path / "state.json", "B")
    with pytest.raises(ValidationError, match="180 items, more than the cap of 100; refused"):
        psi.respond(["handle:x"], "handle", tmp_path / "request.json", tmp_path / "response.json", "A", max_items=100)


def test_bad_inputs_name_file_and_line(tmp_path):
    with pytest.raises(InputFileError, match=r"line 2: 'not a handle!' is not a handle"):
        psi.read_items(_write(tmp_path / "x.txt", ["ok_handle", "not a handle!"]), "handle")
    assert psi.read_items(_write(tmp_path / "p.txt", ["+44 20 7946 0000", "(020) 7946-0000"]), "phone") == [
        "phone:02079460000",
        "phone:442079460000",
    ]
    a = psi.read_items(_write(tmp_path / "a.txt", ["x_1"]), "handle")
    psi.request(a, "handle", tmp_path / "request.json", tmp_path / "state.json", "B")
    with pytest.raises(ValidationError, match="compares 'handle' items, this list is 'email'"):
        psi.respond(["email:a@b.c"], "email", tmp_path / "request.json", tmp_path / "response.json", "A")
    with pytest.raises(InputFileError, match="not a flockwatch PSI response file"):
        psi.finish(tmp_path / "state.json", tmp_path / "request.json", "B")


def test_cli_three_steps(tmp_path, capsys):
    a = _write(tmp_path / "a.txt", SHARED + ONLY_A)
    b = _write(tmp_path / "b.txt", SHARED + ONLY_B)
    req, state, resp, out = (tmp_path / n for n in ("req.json", "state.json", "resp.json", "shared.txt"))
    audit = tmp_path / "audit.jsonl"
    assert (
        main(
            [
                "psi",
                "request",
                str(a),
                "--out",
                str(req),
                "--state",
                str(state),
                "--counterpart",
                "B",
                "--audit",
                str(audit),
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "psi",
                "respond",
                str(b),
                "--request",
                str(req),
                "--out",
                str(resp),
                "--counterpart",
                "A",
                "--audit",
                str(audit),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert (
        main(
            [
                "psi",
                "finish",
                "--state",
                str(state),
                "--response",
                str(resp),
                "--counterpart",
                "B",
                "--out",
                str(out),
                "--json",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["shared"] == 20
    assert out.read_text().split() == sorted(s.lower() for s in SHARED)
    assert len(audit.read_text().splitlines()) == 2
