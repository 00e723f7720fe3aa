import json

from flockwatch.cli.app import main
from flockwatch.workspace import Workspace

from . import demo_data


def _workspace(tmp_path):
    with Workspace.create(tmp_path / "ws") as ws:
        ids = demo_data.load(ws)
    accounts = tmp_path / "core.txt"
    accounts.write_text("\n".join(ids) + "\n")
    return tmp_path / "ws", accounts


def test_report_command_writes_html(tmp_path):
    ws, accounts = _workspace(tmp_path)
    att = tmp_path / "att.json"
    att.write_text(
        json.dumps(
            {"confidence": "low", "rationale": "only timing so far (E1)", "evidence": [{"id": "E1", "kind": "timing"}]}
        )
    )
    edges = tmp_path / "edges.csv"
    edges.write_text("account_a,account_b,weight\nop00,op01,3\nop01,op02,1\n")
    out = tmp_path / "r.html"
    code = main(
        [
            "report",
            "hk-core",
            "--workspace",
            str(ws),
            "--accounts",
            str(accounts),
            "--out",
            str(out),
            "--attribution",
            str(att),
            "--edges",
            str(edges),
        ]
    )
    assert code == 0
    html = out.read_text()
    assert "hk-core" in html and "only timing so far" in html and "detection edges" in html


def test_report_command_unknown_network_is_a_user_error(tmp_path):
    ws, _ = _workspace(tmp_path)
    assert main(["report", "42", "--workspace", str(ws), "--out", str(tmp_path / "r.html")]) == 2
    assert not (tmp_path / "r.html").exists()


def test_narratives_command_json(tmp_path, capsys):
    ws, accounts = _workspace(tmp_path)
    assert main(["narratives", "--workspace", str(ws), "--accounts", str(accounts), "--json", "--top", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["network_actions"] == 1200
    assert any(r["facet"] == "domain" and r["item"] == "news.example.cn" for r in data["top"])
