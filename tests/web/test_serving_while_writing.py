"""The console keeps answering while `flockwatch detect` writes the same workspace, and shows the new run once the
writer has finished (pages are current up to the last finished write)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from contextlib import closing

import pytest

from flockwatch.web.snapshot import WarehouseSnapshots

from .conftest import serve
from .httphelp import csrf_of, sign_in
from .users import PASSWORDS

pytestmark = pytest.mark.slow


def test_pages_answer_while_detect_runs(workspace_copy):
    for server in serve(workspace_copy, refresh_interval_s=0.3):
        with closing(sign_in(server.url, "ana", PASSWORDS["ana"])) as c:
            first_run = c.get("/status").json()["latest_run"]
            q = c.get("/queue").text
            net = re.search(r'href="(/runs/[^"]+/networks/N\d+)"', q).group(1)
            acc = re.search(r'href="/accounts/([^"]+)"', c.get(net).text).group(1)
            pages = ["/queue", net, f"/networks/{net.rsplit('/', 1)[1]}", f"/accounts/{acc}", "/registry"]
            proc = subprocess.Popen(
                [sys.executable, "-m", "flockwatch", "detect", "--workspace", str(workspace_copy), "--json"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            answered = 0
            try:
                while proc.poll() is None:
                    for p in pages:
                        r = c.get(p)
                        assert r.status_code == 200, (p, r.status_code, r.text[:300])
                        answered += 1
            finally:
                out, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err
            assert answered >= len(pages), "detect finished before the pages were asked during it"
            new_run = re.search(r'"run_id":\s*"([^"]+)"', out).group(1)
            assert new_run != first_run
            # the finished run appears once the snapshot is refreshed
            deadline = time.monotonic() + 60
            while c.get("/status").json()["latest_run"] != new_run:
                assert time.monotonic() < deadline, "the console never picked up the finished run"
                time.sleep(0.2)
            assert new_run in c.get("/queue").text


def test_snapshot_is_not_taken_while_a_writer_holds_the_file(workspace_copy):
    from flockwatch.workspace import Workspace

    snaps = WarehouseSnapshots(workspace_copy, pool_size=1)
    try:
        assert snaps.refresh() is True
        with Workspace.open(workspace_copy) as ws:  # a writer: holds DuckDB's lock
            ws.engine.sql("CREATE TABLE scratch_marker (x INTEGER)")
            ws.engine.checkpoint()
            assert snaps.refresh() is False  # the file changed but is held: the old snapshot stays
            with snaps.workspace() as old:
                assert not old.engine.table_exists("scratch_marker")
        assert snaps.refresh() is True  # writer gone: the change is picked up
        with snaps.workspace() as new:
            assert new.engine.table_exists("scratch_marker")
        assert snaps.refresh() is False  # nothing changed since
    finally:
        snaps.close()
    # only the snapshot in use was kept on disk, and it stays for the next console
    kept = list((workspace_copy / "console" / "snapshots").glob("snap-*.duckdb"))
    assert len(kept) == 1
    # a console that starts while a writer holds the warehouse serves that copy until it can take its own
    with Workspace.open(workspace_copy) as ws:
        ws.engine.sql("CREATE TABLE later_marker (x INTEGER)")
        ws.engine.checkpoint()
        late = WarehouseSnapshots(workspace_copy, pool_size=1)
        try:
            assert late.refresh() is False and late.adopt_previous() is True
            with late.workspace() as old:
                assert old.engine.table_exists("scratch_marker") and not old.engine.table_exists("later_marker")
        finally:
            late.close()
    late = WarehouseSnapshots(workspace_copy, pool_size=1)
    try:
        assert late.refresh() is True
        late.drop_stale_files()
        assert len(list((workspace_copy / "console" / "snapshots").glob("snap-*.duckdb"))) == 1
        with late.workspace() as new:
            assert new.engine.table_exists("later_marker")
    finally:
        late.close()


def test_detection_started_from_the_console_runs_in_the_background(workspace_copy):
    for server in serve(workspace_copy, refresh_interval_s=0.3):
        with closing(sign_in(server.url, "ana", PASSWORDS["ana"])) as c:
            first_run = c.get("/status").json()["latest_run"]
            token = csrf_of(c.get("/jobs").text)
            r = c.post("/jobs", data={"csrf_token": token, "kind": "detect"})
            assert r.status_code == 303
            job_url = r.headers["location"]
            # a second writer is refused while the first runs
            again = c.post("/jobs", data={"csrf_token": token, "kind": "detect"})
            assert again.status_code == 403 and "JOB_RUNNING" in again.text
            deadline = time.monotonic() + 600
            while True:
                assert c.get("/queue").status_code == 200  # pages answer while the job writes
                frag = c.get(job_url, headers={"HX-Request": "true"}).text
                status = re.search(r'data-status="(\w+)"', frag).group(1)
                if status != "running":
                    break
                assert time.monotonic() < deadline
                time.sleep(0.3)
            assert status == "done", frag
            assert "calibrated edges" in frag and "candidate networks" in frag  # the library's progress, shown
            new_run = re.search(r"run (run-[^:]+):", frag).group(1)
            assert new_run != first_run
            deadline = time.monotonic() + 60
            while c.get("/status").json()["latest_run"] != new_run:
                assert time.monotonic() < deadline, "the console never picked up the job's run"
                time.sleep(0.2)
