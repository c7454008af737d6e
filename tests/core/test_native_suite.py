"""Builds the C++ test executables of tests/csrc with CMake and runs them with ctest: a
release build in build/ctest and an ASan+UBSan build in build/ctest-asan
(-DRT_SYNTH_SANITIZE=ON). Only the test targets are built (target rt_synth_tests), with at
most 2 parallel jobs. Fails with the ctest output if any C++ test fails."""
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JOBS = os.environ.get("RT_SYNTH_TEST_JOBS", "2")


def _run(cmd, cwd=None, timeout=900):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout + r.stderr


def _build_and_ctest(build_dir, extra):
    if not shutil.which("cmake") or not shutil.which("ctest"):
        pytest.skip("cmake/ctest not installed")
    rc, out = _run(["cmake", "-S", ROOT, "-B", build_dir, "-DRT_SYNTH_BUILD_TESTS=ON",
                    "-DCMAKE_BUILD_TYPE=Release", *extra])
    assert rc == 0, "cmake configure failed:\n" + out
    rc, out = _run(["cmake", "--build", build_dir, "-j", JOBS, "--target", "rt_synth_tests"])
    assert rc == 0, "build failed:\n" + out[-20000:]
    rc, out = _run(["ctest", "--output-on-failure", "--timeout", "300"], cwd=build_dir)
    assert rc == 0, "ctest failed:\n" + out[-20000:]
    return out


def test_native_suite_release():
    out = _build_and_ctest(os.path.join(ROOT, "build", "ctest"), [])
    assert "tests passed" in out


@pytest.mark.slow
def test_native_suite_asan_ubsan():
    if os.environ.get("RT_SYNTH_SKIP_ASAN"):
        pytest.skip("RT_SYNTH_SKIP_ASAN set")
    out = _build_and_ctest(os.path.join(ROOT, "build", "ctest-asan"),
                           ["-DRT_SYNTH_SANITIZE=ON", "-DCMAKE_BUILD_TYPE=RelWithDebInfo"])
    assert "tests passed" in out
