"""ThreadSanitizer runs (docs/threading-checks.md): builds the core and tests/tsan with
-fsanitize=thread (the system C/C++ compilers, RelWithDebInfo, 2 jobs) in build/tsan, and runs
on the tiny committed models of tests/fuzz/corpus/load
- test_capi_threads: parameters, MIDI and metadata calls from other threads against a running
  process loop (ddsp synth/transfer, rave forward, an effect with knobs; 44.1/48/96 kHz), and
  model swaps through atomic slots, through the C ABI;
- test_pd_swap: the Pure Data external's own load/swap/close code (plugins/pd, unchanged)
  against stubs of the Pd API, perform on one thread and messages + loader on others.
Fails on any TSan report (halt_on_error) or failed check (finite output within |y| <= 1,
enough concurrency, swaps reaching the audio thread)."""
import os
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(ROOT, "build", "tsan")
MODELS = os.path.join(ROOT, "tests", "fuzz", "corpus", "load")
SECONDS_PER_SCENARIO = "2"


def _run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    return r.returncode, r.stdout + r.stderr


@pytest.fixture(scope="module")
def tsan_build():
    assert shutil.which("cmake"), "cmake is missing: run scripts/setup.sh"
    rc, out = _run(["cmake", "-S", ROOT, "-B", BUILD, "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                    "-DCMAKE_CXX_FLAGS=-fsanitize=thread", "-DCMAKE_C_FLAGS=-fsanitize=thread",
                    "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread", "-DRT_SYNTH_BUILD_TSAN=ON"], timeout=300)
    assert rc == 0, "cmake configure failed:\n" + out
    rc, out = _run(["cmake", "--build", BUILD, "-j", os.environ.get("RT_SYNTH_TEST_JOBS", "2"),
                    "--target", "test_capi_threads", "test_pd_swap"], timeout=1800)
    assert rc == 0, "TSan build failed:\n" + out[-20000:]
    return os.path.join(BUILD, "tests", "tsan")


def _run_tsan(exe, seconds, *more):
    env = dict(os.environ, TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1")
    rc, out = _run([exe, os.path.join(MODELS, "ddsp_micro.rtsynth"), os.path.join(MODELS, "rave_tiny.rtsynth"),
                    seconds, *more], env=env, timeout=600)
    assert "ThreadSanitizer" not in out, "ThreadSanitizer report:\n" + out[-20000:]
    assert rc == 0, f"{os.path.basename(exe)} failed (exit {rc}):\n" + out[-20000:]
    return out


@pytest.mark.slow
def test_capi_threads_clean_under_tsan(tsan_build):
    out = _run_tsan(os.path.join(tsan_build, "test_capi_threads"), SECONDS_PER_SCENARIO,
                    os.path.join(MODELS, "effect_knobs.rtsynth"))
    assert "test_capi_threads: all checks passed" in out
    assert out.count("effect forward at") == 2
    assert out.count(" swaps taken by the audio thread") == 2


@pytest.mark.slow
def test_pd_external_swaps_clean_under_tsan(tsan_build):
    out = _run_tsan(os.path.join(tsan_build, "test_pd_swap"), "4")
    assert "test_pd_swap: all checks passed" in out
