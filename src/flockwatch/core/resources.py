"""What this process may use of the machine: memory (physical, or less where a control group caps it) and cores
(those it may run on, or fewer where a CPU quota caps it).

Consumes ``sysconf``, the CPU affinity and the Linux control-group files (``/proc/self/cgroup``, then ``memory.max``
and ``cpu.max`` under cgroup v2, ``memory.limit_in_bytes`` and ``cpu.cfs_quota_us`` under v1); produces a byte
count and a core count. Both engines size themselves from them (DuckDB's memory limit and threads, the Spark driver
heap and shuffle width in local mode). Why: in a container or a batch job given 12 GiB and 2 cores of a 64 GiB,
16-core host, ``sysconf`` reports the host, DuckDB starts one thread per host core (it ignores the affinity), and an
engine sized from the host is killed by the kernel instead of spilling to disk.
"""

from __future__ import annotations

import os
from pathlib import Path

#: cgroup limits at or above this are "no limit" (v1 writes 2**63 rounded down to a page)
_UNLIMITED = 1 << 60


def physical_memory_bytes() -> int | None:
    """The machine's physical memory (None where the platform does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def cgroup_memory_limit_bytes(root: Path = Path("/")) -> int | None:
    """The memory limit of this process's control group, or None when there is none (or no cgroup files).

    ``root``: where ``proc/`` and ``sys/`` are found (tests point it at a fake tree)."""
    limits = []
    for v2, dirs in _cgroup_dirs(root, "memory"):
        value = _first(dirs, "memory.max" if v2 else "memory.limit_in_bytes")
        if value.isdigit() and int(value) < _UNLIMITED:
            limits.append(int(value))
    return min(limits) if limits else None


def memory_limit_bytes(root: Path = Path("/")) -> int | None:
    """The memory this process may use: the smaller of physical memory and its cgroup limit."""
    found = [b for b in (physical_memory_bytes(), cgroup_memory_limit_bytes(root)) if b]
    return min(found) if found else None


def cpu_count(root: Path = Path("/")) -> int:
    """The cores this process may use: those its affinity allows, fewer where a cgroup CPU quota caps it (a quota of
    1.5 cores counts as 2: the engines' threads are whole)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    quotas = []
    for v2, dirs in _cgroup_dirs(root, "cpu"):
        # v2: "quota period" in cpu.max ("max period": none); v1: two files, a quota of -1 is none
        if v2:
            quota, _, period = _first(dirs, "cpu.max").partition(" ")
        else:
            quota, period = _first(dirs, "cpu.cfs_quota_us"), _first(dirs, "cpu.cfs_period_us")
        if quota.isdigit() and period.isdigit() and int(period):
            quotas.append(-(-int(quota) // int(period)))
    return max(1, min([cores, *quotas]))


def _cgroup_dirs(root: Path, v1_controller: str) -> list[tuple[bool, tuple[Path, Path]]]:
    """Per hierarchy this process belongs to that holds ``v1_controller``'s files: (is cgroup v2, (the process's own
    group directory, the mount's root)). The own directory is read first; a container sees its own group at the
    mount's root instead."""
    found = []
    for line in _read(root / "proc/self/cgroup").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":  # cgroup v2: one unified hierarchy
            base, v2 = root / "sys/fs/cgroup", True
        elif v1_controller in controllers.split(","):
            # v1 mounts a hierarchy per controller set (cpu and cpuacct share "cpu,cpuacct", linked as "cpu")
            base, v2 = root / "sys/fs/cgroup" / v1_controller, False
        else:
            continue
        found.append((v2, (base / path.lstrip("/"), base)))
    return found


def _first(dirs: tuple[Path, ...], name: str) -> str:
    """The stripped content of the first non-empty ``name`` among ``dirs`` ("" when none)."""
    for d in dirs:
        value = _read(d / name).strip()
        if value:
            return value
    return ""


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
