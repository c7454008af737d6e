"""Suite-wide rule: a test dependency that scripts/setup.sh installs is never a reason to skip.

Older tests guard their imports with ``pytest.importorskip("torch")`` or skip with
"cmake not installed"; on a machine where the set-up was not run those tests would silently
vanish from the count. Here such skips become failures that name the set-up command. Skips
for other reasons (for example RT_SYNTH_SKIP_ASAN) stay skips.
"""
from __future__ import annotations

import re

import pytest

_MISSING = (re.compile(r"could not import '([^']+)'"), re.compile(r"^(.+?) not installed"))


def _missing_install(report) -> str | None:
    if not report.skipped or not isinstance(report.longrepr, tuple):
        return None
    reason = str(report.longrepr[2]).removeprefix("Skipped: ")
    for pattern in _MISSING:
        m = pattern.search(reason)
        if m:
            return m.group(1)
    return None


def _as_failure(report) -> None:
    what = _missing_install(report)
    if what is not None:
        report.outcome = "failed"
        report.longrepr = (f"{what} is missing: run `bash scripts/setup.sh` (it installs every "
                           f"test dependency). A missing install step fails; it is not a skip.")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _as_failure(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _as_failure(outcome.get_result())
