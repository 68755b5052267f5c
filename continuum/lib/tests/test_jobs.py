"""The scheduler's shared types: periods, the registries, and no Django."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from continuum.lib.jobs import PeriodicJob, Registry

REPO_ROOT = Path(__file__).resolve().parents[3]
AT = datetime(2026, 7, 1, 13, 42, 17, 5000, tzinfo=UTC)


def nothing(now: datetime) -> None:
    return None


@pytest.mark.parametrize(
    ("every", "start"),
    [
        (timedelta(minutes=1), datetime(2026, 7, 1, 13, 42, tzinfo=UTC)),
        (timedelta(minutes=15), datetime(2026, 7, 1, 13, 30, tzinfo=UTC)),
        (timedelta(hours=1), datetime(2026, 7, 1, 13, 0, tzinfo=UTC)),
        (timedelta(days=1), datetime(2026, 7, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_a_period_starts_on_the_utc_minute_hour_or_day(every: timedelta, start: datetime) -> None:
    job = PeriodicJob("x.y", every, nothing)
    assert job.period_start(AT) == start
    assert job.period_start(start) == start
    assert job.period_start(start - timedelta(microseconds=1)) == start - every


def test_a_period_is_the_same_instant_in_any_zone() -> None:
    job = PeriodicJob("x.y", timedelta(hours=1), nothing)
    from zoneinfo import ZoneInfo

    local = AT.astimezone(ZoneInfo("Asia/Kolkata"))  # UTC+05:30
    assert job.period_start(local) == datetime(2026, 7, 1, 13, 0, tzinfo=UTC)


def test_a_job_needs_a_positive_period() -> None:
    with pytest.raises(ValueError, match="positive"):
        PeriodicJob("x.y", timedelta(0), nothing)


def test_the_registry_keeps_order_and_refuses_a_second_job_of_the_same_name() -> None:
    registry: Registry[PeriodicJob] = Registry("periodic job")
    first = registry.register(PeriodicJob("b.first", timedelta(minutes=1), nothing))
    registry.register(PeriodicJob("a.second", timedelta(hours=1), nothing))
    # Registering the same thing again (ready() run twice) is harmless.
    registry.register(PeriodicJob("b.first", timedelta(minutes=1), nothing))
    assert [j.name for j in registry.all()] == ["b.first", "a.second"]
    assert registry.get("b.first") is first
    assert registry.get("c.none") is None
    with pytest.raises(ValueError, match="already registered"):
        registry.register(PeriodicJob("b.first", timedelta(hours=1), nothing))


def test_the_shared_types_import_nothing_from_django_or_the_apps() -> None:
    program = """
import sys

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "django" or (
            name.startswith("continuum.") and not name.startswith("continuum.lib")
        ):
            raise ImportError("blocked " + name)
        return None

sys.meta_path.insert(0, Block())
import continuum.lib.jobs
"""
    result = subprocess.run(
        [sys.executable, "-c", program], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
