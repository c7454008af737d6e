"""Builds and runs tests/csrc/test_transfer_rt.cpp with the shared allocation-counting harness
against the editable build's core library: zero allocations in process for the Resampler,
HostAdapter, StreamingYin, LoudnessMeter and TimbreTransfer (alone and at 44.1 kHz through the
HostAdapter) over >= 1000 random-size blocks with NaN/Inf/huge samples; finite output."""
import os
import subprocess
import sys


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from core_library import core_static_library, cxx  # noqa: E402

WRAP = "-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=aligned_alloc,--wrap=posix_memalign"


def test_cpp_transfer_realtime(tmp_path, small_model):
    exe = tmp_path / "test_transfer_rt"
    csrc_tests = os.path.join(ROOT, "tests", "csrc")
    subprocess.run([cxx(), "-O2", "-std=c++17", "-I", os.path.join(ROOT, "csrc"), "-I", csrc_tests,
                    os.path.join(csrc_tests, "test_transfer_rt.cpp"), os.path.join(csrc_tests, "alloc_counter.cpp"),
                    core_static_library(), WRAP, "-o", str(exe)], check=True)
    r = subprocess.run([str(exe), small_model], capture_output=True, text=True, timeout=300)
    print(r.stdout, r.stderr)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "TimbreTransfer 48 kHz: allocations in process over 1200 random blocks: 0" in r.stdout
    assert "TimbreTransfer + HostAdapter 44.1 kHz: allocations in process over 1200 random blocks: 0" in r.stdout
