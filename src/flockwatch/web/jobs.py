"""Long jobs started from the console (a detection run), in the background, with their progress.

Consumes the workspace directory and who started the job; produces :class:`Job` records that the jobs page shows
while the job runs (status, the library's progress messages, elapsed time) and after (the run id or the error).

A job runs in a thread of the console process and calls the library as the CLI does: it opens the workspace for
writing, runs :func:`flockwatch.detect.detect` with a progress callback, builds the networks, closes. Meanwhile the
console keeps serving its snapshot (``snapshot.py``): the writer holds the live file, snapshots wait, and the finished
run appears once the job closes the workspace. One writing job at a time: DuckDB admits one writer per file, so a
second start is refused (and so is a job while another process, say a CLI ``ingest``, holds the file: the job fails
with DuckDB's lock message, which the page shows).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flockwatch.errors import RefusedError

MAX_PROGRESS_LINES = 200


@dataclass
class Job:
    job_id: int
    kind: str
    started_by: str
    started_at: float
    status: str = "running"  # running | done | failed
    progress: list[str] = field(default_factory=list)
    finished_at: float | None = None
    result: str | None = None
    error: str | None = None

    @property
    def elapsed_s(self) -> float:
        return (self.finished_at or time.time()) - self.started_at


def _detect_job(workspace_dir: Path, report: Callable[[str], None]) -> str:
    from flockwatch.detect import detect
    from flockwatch.networks import build_networks
    from flockwatch.workspace import Workspace

    with Workspace.open(workspace_dir) as ws:
        run = detect(ws, progress=report)
        report(f"{run.edges_count:,} calibrated edges; clustering candidate networks")
        networks = build_networks(ws, run.run_id)
        flagged = sum(n.flagged for n in networks)
    return f"run {run.run_id}: {len(networks)} candidate networks, {flagged} flagged"


JOB_KINDS: dict[str, Callable[[Path, Callable[[str], None]], str]] = {"detect": _detect_job}


class JobRunner:
    def __init__(self, workspace_dir: Path) -> None:
        self.workspace_dir = workspace_dir
        self._lock = threading.Lock()
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)

    def start(self, kind: str, started_by: str) -> Job:
        if kind not in JOB_KINDS:
            raise RefusedError("UNKNOWN_JOB", f"no job {kind!r}; jobs: {', '.join(JOB_KINDS)}")
        with self._lock:
            running = [j for j in self._jobs.values() if j.status == "running"]
            if running:
                raise RefusedError(
                    "JOB_RUNNING", f"job {running[0].job_id} ({running[0].kind}) is still writing the workspace"
                )
            job = Job(next(self._ids), kind, started_by, time.time())
            self._jobs[job.job_id] = job
        threading.Thread(target=self._run, args=(job,), name=f"job-{job.job_id}", daemon=True).start()
        return job

    def _run(self, job: Job) -> None:
        def report(text: str) -> None:
            with self._lock:
                job.progress.append(f"{job.elapsed_s:6.1f} s  {text}")
                del job.progress[:-MAX_PROGRESS_LINES]

        try:
            result = JOB_KINDS[job.kind](self.workspace_dir, report)
        except Exception as exc:  # the job fails, the console stays up and shows why
            with self._lock:
                job.status, job.error, job.finished_at = "failed", str(exc), time.time()
            return
        with self._lock:
            job.status, job.result, job.finished_at = "done", result, time.time()

    def jobs(self) -> list[Job]:
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: -j.job_id)

    def get(self, job_id: int) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)
