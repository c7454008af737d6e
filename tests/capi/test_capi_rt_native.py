"""Runs the C++ test of the C ABI's audio path (tests/csrc/test_capi_rt.cpp): zero heap
allocations counted inside rt_synth_process / send_midi / set_param / reset called through
the C functions, every method, 48 and 44.1 kHz; corrupt model bytes refused with a message.
Built in build/ctest (the native suite's folder), only this target."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_capi_process_allocates_nothing(tiny_model):
    if not shutil.which("cmake"):
        pytest.skip("cmake not installed")
    b = ROOT / "build" / "ctest"
    r = subprocess.run(["cmake", "-S", str(ROOT), "-B", str(b), "-DRT_SYNTH_BUILD_TESTS=ON",
                        "-DCMAKE_BUILD_TYPE=Release"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(["cmake", "--build", str(b), "-j", "2", "--target", "test_capi_rt"], capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, (r.stdout + r.stderr)[-20000:]
    r = subprocess.run([str(b / "tests" / "csrc" / "test_capi_rt"), str(tiny_model)], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all checks passed" in r.stdout
    assert r.stdout.count(", 0 allocations") == 5  # 3 methods at 48 kHz + synth, transfer at 44.1 kHz
