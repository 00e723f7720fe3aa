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
    for value in _cgroup_values(root, "memory.max", "memory", "memory.limit_in_bytes"):
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
    for value in _cgroup_values(root, "cpu.max", "cpu", "cpu.cfs_quota_us"):
        fields = value.split()
        if len(fields) == 2 and fields[0].isdigit() and fields[1].isdigit() and int(fields[1]):  # v2: quota period
            quotas.append(-(-int(fields[0]) // int(fields[1])))
    for period, quota in zip(
        _cgroup_values(root, "", "cpu", "cpu.cfs_period_us"),
        _cgroup_values(root, "", "cpu", "cpu.cfs_quota_us"),
        strict=False,
    ):  # v1: quota -1 is none
        if quota.isdigit() and period.isdigit() and int(period):
            quotas.append(-(-int(quota) // int(period)))
    return max(1, min([cores, *quotas]))


def _cgroup_values(root: Path, v2_file: str, v1_controller: str, v1_file: str) -> list[str]:
    """The values of a control-group file for this process: ``v2_file`` in the unified hierarchy (skipped when
    empty), ``v1_file`` in the ``v1_controller`` hierarchy; for each, the process's own group where the hierarchy is
    visible, else the mount's root (a container sees its own group there)."""
    found = []
    for line in _read(root / "proc/self/cgroup").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        rel = path.lstrip("/")
        if controllers == "" and v2_file:  # cgroup v2: one unified hierarchy
            base, name = root / "sys/fs/cgroup", v2_file
        elif v1_controller in controllers.split(","):
            # v1 mounts a hierarchy per controller set (cpu and cpuacct share "cpu,cpuacct", linked as "cpu")
            base, name = root / "sys/fs/cgroup" / v1_controller, v1_file
        else:
            continue
        for file in (base / rel / name, base / name):
            value = _read(file).strip()
            if value:
                found.append(value)
                break
    return found


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
