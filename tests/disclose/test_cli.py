import json

from flockwatch.cli.app import main


def test_keygen_archive_and_check(scenario, tmp_path, capsys):
    key = tmp_path / "k.key"
    assert main(["disclose", "keygen", "--out", str(key), "--json"]) == 0
    key_id = json.loads(capsys.readouterr().out)["key_id"]
    assert main(["disclose", "keygen", "--out", str(key)]) == 2  # no overwrite without --rotate
    assert main(["disclose", "keygen", "--out", str(key), "--rotate", "--json"]) == 0
    rotated = json.loads(capsys.readouterr().out)
    assert rotated["key_id"] != key_id and rotated["retired"].endswith(f"{key_id}.retired")
    out = tmp_path / "release"
    code = main(
        [
            "disclose",
            "archive",
            "--draft",
            "--network",
            "N0001",
            "--workspace",
            str(scenario.ws_dir),
            "--key-file",
            str(key),
            "--out",
            str(out),
            "--no-pdf",
            "--no-attribution",
            "--policy",
            "Platform manipulation and spam",
            "--json",
        ]
    )
    assert code == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["key_id"] == rotated["key_id"] and manifest["draft"]
    assert (out / "manifest.json").exists() and (out / "DRAFT_statement.html").exists()
    assert rotated["key_id"] in (out / "DRAFT_statement.html").read_text()
    secret = json.loads(key.read_text())["secret_hex"]
    assert all(
        secret not in p.read_text(errors="replace") for p in out.rglob("*") if p.is_file() and p.suffix != ".zip"
    )
    assert main(["disclose", "check", str(out), "--workspace", str(scenario.ws_dir)]) == 0
    # a directory with a raw handle of a small account is caught (exit 4, refused by policy)
    leaky = tmp_path / "leaky"
    leaky.mkdir()
    (leaky / "notes.txt").write_text(f"see &#64;{scenario.victim_handle.upper()}")
    capsys.readouterr()
    assert main(["disclose", "check", str(leaky), "--workspace", str(scenario.ws_dir)]) == 4
    assert scenario.victim_handle.lower() in capsys.readouterr().out


def test_archive_argument_errors(scenario, tmp_path):
    key = tmp_path / "k.key"
    assert main(["disclose", "keygen", "--out", str(key)]) == 0
    base = ["disclose", "archive", "--workspace", str(scenario.ws_dir), "--key-file", str(key)]
    assert main([*base, "--out", str(tmp_path / "a"), "--case", "C1"]) == 2
    assert main([*base, "--out", str(tmp_path / "b"), "--network", "N0001"]) == 2  # not a draft, no case
    assert main([*base, "--out", str(tmp_path / "c"), "--draft"]) == 2
    assert main([*base, "--out", str(tmp_path / "d"), "--draft", "--network", "N0001", "--key-file", "nope"]) == 2


def test_withdraw_after_a_reversal(scenario, tmp_path, capsys):
    import csv

    key = tmp_path / "k.key"
    assert main(["disclose", "keygen", "--out", str(key)]) == 0
    rel = tmp_path / "release"
    base = ["--workspace", str(scenario.ws_dir), "--key-file", str(key), "--no-pdf", "--no-attribution"]
    assert main(["disclose", "archive", "--draft", "--network", "N0001", "--out", str(rel), *base]) == 0
    reversed_file = tmp_path / "reversed.txt"
    reversed_file.write_text(f"{scenario.member}\nnot-a-member\n")
    capsys.readouterr()
    corr = tmp_path / "correction"
    args = ["disclose", "withdraw", str(rel), "--key-file", str(key), "--accounts", str(reversed_file)]
    assert main([*args, "--out", str(corr), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["withdrawn"]) == 1 and len(result["not_found"]) == 1
    assert result["accounts_after"] == result["accounts_before"] - 1
    assert result["posts_after"] < result["posts_before"]
    doc = json.loads((corr / "correction.json").read_text())
    assert doc["corrects"].endswith("_1") and doc["replaced_by"].endswith("_2") and doc["draft"]
    users = next(corr.glob("*_2_users_csv_hashed.csv"))
    with users.open(newline="", encoding="utf-8") as fh:
        ids = {r["userid"] for r in csv.DictReader(fh)}
    assert result["withdrawn"][0] not in ids
    assert scenario.member not in (corr / "correction.html").read_text()
    # only the key the release was made with can withdraw from it
    other = tmp_path / "other.key"
    assert main(["disclose", "keygen", "--out", str(other)]) == 0
    args[4] = str(other)
    assert main([*args, "--out", str(tmp_path / "c2")]) == 2
