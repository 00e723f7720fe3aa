"""core.resources: the memory a process may use is the smaller of physical memory and its control group's cap."""

from __future__ import annotations

from pathlib import Path

from flockwatch.core.resources import cgroup_memory_limit_bytes, memory_limit_bytes, physical_memory_bytes

GIB = 2**30


def _tree(root: Path, cgroup: str, files: dict[str, str]) -> Path:
    (root / "proc/self").mkdir(parents=True)
    (root / "proc/self/cgroup").write_text(cgroup)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_cgroup_v2_limit_of_the_process_group_or_the_mount_root(tmp_path):
    root = _tree(tmp_path / "a", "0::/jobs/42\n", {"sys/fs/cgroup/jobs/42/memory.max": f"{12 * GIB}\n"})
    assert cgroup_memory_limit_bytes(root) == 12 * GIB
    # a container sees its own group at the mount's root
    root = _tree(tmp_path / "b", "0::/\n", {"sys/fs/cgroup/memory.max": f"{6 * GIB}\n"})
    assert cgroup_memory_limit_bytes(root) == 6 * GIB
    root = _tree(tmp_path / "c", "0::/\n", {"sys/fs/cgroup/memory.max": "max\n"})
    assert cgroup_memory_limit_bytes(root) is None


def test_cgroup_v1_memory_controller_and_its_unlimited_value(tmp_path):
    cg = "9:cpu,cpuacct:/x\n4:memory:/process_api/abc\n1:name=systemd:/\n"
    root = _tree(tmp_path / "a", cg, {"sys/fs/cgroup/memory/process_api/abc/memory.limit_in_bytes": str(3 * GIB)})
    assert cgroup_memory_limit_bytes(root) == 3 * GIB
    # the group's directory is not visible: the mount root's value (here: v1's "unlimited", 2**63 a page short)
    root = _tree(tmp_path / "b", cg, {"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712"})
    assert cgroup_memory_limit_bytes(root) is None


def test_no_cgroup_files_means_physical_memory(tmp_path):
    assert cgroup_memory_limit_bytes(tmp_path) is None
    assert memory_limit_bytes(tmp_path) == physical_memory_bytes()


def test_a_cap_below_physical_memory_wins_and_engines_size_from_it(tmp_path, monkeypatch):
    physical = physical_memory_bytes()
    assert physical and physical > GIB
    root = _tree(tmp_path, "0::/\n", {"sys/fs/cgroup/memory.max": str(physical // 4)})
    assert memory_limit_bytes(root) == physical // 4

    import flockwatch.engine.duckdb_engine as duck
    import flockwatch.engine.spark_engine as spark

    monkeypatch.delenv(spark.DRIVER_MEMORY_ENV, raising=False)
    for module in (duck, spark):
        monkeypatch.setattr(module, "memory_limit_bytes", lambda: 2 * GIB)
    assert duck._default_memory_limit() == f"{2 * GIB * 2 // 5 // 2**20}MB"  # 40% of the cap
    assert spark.local_driver_memory() == "1024m"  # 40% is 819 MiB: the 1 GiB floor


def test_cores_are_the_affinity_capped_by_a_cgroup_cpu_quota(tmp_path):
    from flockwatch.core.resources import cpu_count

    affinity = cpu_count(tmp_path / "none")  # no cgroup files: the cores this process may run on
    assert affinity >= 1
    v2 = _tree(tmp_path / "v2", "0::/job\n", {"sys/fs/cgroup/job/cpu.max": "50000 100000\n"})
    assert cpu_count(v2) == 1  # half a core: one thread
    unlimited = _tree(tmp_path / "v2max", "0::/\n", {"sys/fs/cgroup/cpu.max": "max 100000\n"})
    assert cpu_count(unlimited) == affinity
    v1 = _tree(
        tmp_path / "v1",
        "5:cpu,cpuacct:/job\n",
        {"sys/fs/cgroup/cpu/job/cpu.cfs_quota_us": "100000", "sys/fs/cgroup/cpu/job/cpu.cfs_period_us": "100000"},
    )
    assert cpu_count(v1) == 1
    none = _tree(
        tmp_path / "v1none",
        "5:cpu,cpuacct:/\n",
        {"sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1", "sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000"},
    )
    assert cpu_count(none) == affinity


def test_duckdb_runs_no_more_threads_than_the_process_has_cores(monkeypatch):
    import flockwatch.engine.duckdb_engine as duck

    monkeypatch.setattr(duck, "cpu_count", lambda: 1)
    e = duck.DuckDBEngine.memory()
    try:
        assert e.sql("SELECT current_setting('threads')").scalar() == 1
    finally:
        e.close()
