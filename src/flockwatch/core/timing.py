"""Per-stage wall and CPU seconds of a pipeline (detection, network build), for run records and profiling.

Consumes nothing; produces :class:`Stages`, a recorder used as ``with stages("kernel rows"): ...``. CPU seconds are
the whole process's (``time.process_time``: every thread, DuckDB's included), which on a shared machine measures a
stage's cost far better than wall time. With ``FLOCKWATCH_TIMING=1`` in the environment each stage is also printed
to stderr as it ends.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

TIMING_ENV = "FLOCKWATCH_TIMING"


class Stages:
    """Ordered stage name → ``{"wall_s", "cpu_s"}``; a repeated name adds up."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.seconds: dict[str, dict[str, float]] = {}
        self._echo = os.environ.get(TIMING_ENV, "") not in ("", "0")

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        w0, c0 = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            got = self.seconds.setdefault(name, {"wall_s": 0.0, "cpu_s": 0.0})
            got["wall_s"] = round(got["wall_s"] + wall, 3)
            got["cpu_s"] = round(got["cpu_s"] + cpu, 3)
            if self._echo:
                print(f"[timing] {self.prefix}{name}: {wall:.2f} s wall, {cpu:.2f} s CPU", file=sys.stderr, flush=True)

    def to_dict(self) -> dict[str, dict[str, float]]:
        return {k: dict(v) for k, v in self.seconds.items()}
