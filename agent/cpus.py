"""How many CPUs this process may really use: its affinity mask, capped by a cgroup CPU quota."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["available_cpus", "cgroup_cpu_quota"]


def cgroup_cpu_quota(root: Path = Path("/sys/fs/cgroup")) -> int | None:
    """CPUs allowed by the cgroup quota (`docker run --cpus`), rounded up; None when unlimited."""
    with contextlib.suppress(OSError, ValueError):
        quota, period = (root / "cpu.max").read_text().split()  # cgroup v2: "max 100000" or "200000 100000"
        return None if quota == "max" else -(-int(quota) // int(period))
    with contextlib.suppress(OSError, ValueError):
        quota_us = int((root / "cpu" / "cpu.cfs_quota_us").read_text())  # cgroup v1: -1 when unlimited
        period_us = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return None if quota_us <= 0 else -(-quota_us // period_us)
    return None


def available_cpus() -> int:
    """CPUs this process may run on: `os.cpu_count()` counts the machine's, not the ones the
    affinity mask (taskset, cpusets) or a container quota leave it."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cpus = os.cpu_count() or 1
    quota = cgroup_cpu_quota()
    return max(1, min(cpus, quota) if quota else cpus)
