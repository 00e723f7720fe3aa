"""The media / ads / labels commands end to end on an on-disk workspace (ops.sqlite)."""

from __future__ import annotations

import json

import pytest

from flockwatch.cli.app import main

from .policy_helpers import fact


@pytest.fixture(scope="module")
def ws_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("policy") / "ws"
    assert main(["media", "import", "--workspace", str(path), "--json"]) == 0
    assert main(["media", "decide", "--policy", "twitter-2019-08-ads", "--as-of", "2019-08-19", "-w", str(path)]) == 0
    return path


def _lines(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_ads_check_json_lines_and_batch(ws_path, tmp_path, capsys):
    capsys.readouterr()
    code = main(
        [
            "ads",
            "check",
            "@XHNews",
            "https://www.bbc.co.uk/news",
            "--policy",
            "twitter-2019-08-ads",
            "--date",
            "2019-09-01",
            "--json",
            "-w",
            str(ws_path),
        ]
    )
    assert code == 0
    xh, bbc = _lines(capsys)
    assert (xh["eligible"], xh["outcome"], xh["outlet"]["name"]) == (False, "refuse", "Xinhua News Agency")
    assert xh["reasons"] and xh["sources"] and all(s["source"] for s in xh["sources"])
    assert (bbc["eligible"], bbc["outcome"]) == (True, "exempt")
    batch = tmp_path / "advertisers.txt"
    batch.write_text("RT_com\nrt.com\n\n# comment\nnpr.org\nnobody.example\n")
    assert main(["ads", "check", "--batch", str(batch), "--date", "2019-09-01", "--json", "-w", str(ws_path)]) == 0
    got = [(r["input"], r["eligible"]) for r in _lines(capsys)]
    assert got == [("RT_com", False), ("rt.com", False), ("npr.org", True), ("nobody.example", True)]


def test_ads_check_table_and_errors(ws_path, capsys):
    assert main(["ads", "check", "RT", "-w", str(ws_path)]) == 0
    assert "organic use is not affected" in capsys.readouterr().out
    assert main(["ads", "check", "RT", "--policy", "myspace-2007", "-w", str(ws_path)]) == 2
    assert main(["ads", "check", "RT", "--date", "2019-99-01", "-w", str(ws_path)]) == 2
    assert main(["ads", "check", "-w", str(ws_path)]) == 2


def test_show_history_labels(ws_path, tmp_path, capsys):
    assert main(["media", "show", "Xinhua", "--json", "-w", str(ws_path)]) == 0
    shown = json.loads(capsys.readouterr().out)
    ads = [d for d in shown["determinations"] if d["policy_id"] == "twitter-2019-08-ads"]
    assert shown["outlet"]["name"] == "Xinhua News Agency" and ads[0]["outcome"] == "refuse"
    assert (
        shown["offboarding"][0]["ends_on"] == "2019-09-18"
        and "Organic use is not affected" in shown["offboarding"][0]["notice_text"]
    )
    assert main(["media", "list", "--country", "SE", "--json", "-w", str(ws_path)]) == 0
    assert "SVT" in {o["name"] for o in json.loads(capsys.readouterr().out)}
    assert (
        main(["media", "decide", "--policy", "twitter-2020-08-labels", "--as-of", "2020-08-06", "-w", str(ws_path)])
        == 0
    )
    out = tmp_path / "labels.csv"
    assert main(["labels", "export", "--date", "2020-09-01", "--out", str(out), "-w", str(ws_path)]) == 0
    assert "@XHNews" in out.read_text()
    assert main(["media", "show", "Xinhua", "-w", str(ws_path)]) == 0
    assert "determinations (history)" in capsys.readouterr().out


def test_fact_change_decide_history_and_appeal_via_cli(ws_path, tmp_path, capsys):
    w = ["-w", str(ws_path)]
    doc = {
        "outlets": [
            {
                "name": "Test Radio",
                "country": "HU",
                "assets": [{"kind": "domain", "value": "testradio.example", "source": "test"}],
                "facts": [fact("editorial_control", {"state_editorial_control": False})],
            }
        ]
    }
    f = tmp_path / "facts.json"
    f.write_text(json.dumps(doc))
    assert main(["media", "import", "--facts", str(f), *w]) == 0
    capsys.readouterr()
    assert main(["media", "decide", "--outlet", "Test Radio", "--as-of", "2020-01-01", "--json", *w]) == 0
    first = json.loads(capsys.readouterr().out)["determinations"][0]
    assert first["outcome"] == "allow"
    assert main(["media", "show", "Test Radio", "--json", *w]) == 0
    fid = json.loads(capsys.readouterr().out)["facts"][0]["fact_id"]
    change = tmp_path / "change.json"
    change.write_text(
        json.dumps(
            {
                "changes": [
                    {
                        "fact_id": fid,
                        "value": {"state_editorial_control": True},
                        "source": "Regulator 2021",
                        "date": "2021-01-01",
                        "confidence": 0.9,
                    }
                ]
            }
        )
    )
    assert main(["media", "import", "--facts", str(change), *w]) == 0
    assert "1 changes" in capsys.readouterr().out
    assert main(["media", "decide", "--outlet", "Test Radio", "--as-of", "2021-01-02", *w]) == 0
    capsys.readouterr()
    assert main(["media", "history", "Test Radio", "--json", *w]) == 0
    hist = json.loads(capsys.readouterr().out)
    assert [d["outcome"] for d in hist] == ["allow", "refuse"]
    ev = tmp_path / "ev.json"
    ev.write_text(
        json.dumps(
            [fact("editorial_control", {"state_editorial_control": False}, source="Court ruling", date="2021-02-01")]
        )
    )
    assert (
        main(
            [
                "media",
                "appeal",
                "file",
                str(hist[1]["determination_id"]),
                "--grounds",
                "ruling",
                "--evidence",
                str(ev),
                "--json",
                *w,
            ]
        )
        == 0
    )
    ap = json.loads(capsys.readouterr().out)
    assert (
        main(
            [
                "media",
                "appeal",
                "review",
                str(ap["appeal_id"]),
                "--uphold",
                "--reviewer",
                "team",
                "--note",
                "conflict noted",
                "--json",
                *w,
            ]
        )
        == 0
    )
    res = json.loads(capsys.readouterr().out)
    # the evidence contradicts the regulator's fact: the new determination goes to review
    assert res["appeal"]["status"] == "upheld" and res["new_determination"]["outcome"] == "review"
    assert main(["media", "history", "Test Radio", "--json", *w]) == 0
    assert [d["outcome"] for d in json.loads(capsys.readouterr().out)] == ["allow", "refuse", "review"]


def test_bad_facts_file_exits_2_and_changes_nothing(ws_path, tmp_path, capsys):
    w = ["-w", str(ws_path)]
    assert main(["media", "list", "--json", *w]) == 0
    before = len(json.loads(capsys.readouterr().out))
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"outlets": [{"name": "Fine FM", "country": "SE"}, {"name": "Nowhere FM", "country": "Atlantis"}]})
    )
    assert main(["media", "import", "--facts", str(bad), *w]) == 2
    assert "unknown country 'Atlantis'" in capsys.readouterr().err
    assert main(["media", "list", "--json", *w]) == 0
    assert len(json.loads(capsys.readouterr().out)) == before
    assert main(["media", "import", "--json", *w]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "already imported"


def test_json_line_equals_the_api_answer(shipped):
    from flockwatch.policy.ads import ad_index

    idx = ad_index(shipped, "twitter-2019-08-ads")
    for who in ["@XHNews", "@XHNews", "bbc.co.uk", "nobody.example", "sports.cctv.com", "@M_Simonyan"]:
        line = json.loads(idx.check_json(who, "2019-09-01"))
        assert line == json.loads(json.dumps(idx.check(who, "2019-09-01").to_dict(), default=str))
