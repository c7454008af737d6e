"""Builds and runs tests/csrc/test_ddsp_model.cpp (allocation count in process over 1 200
random-size blocks, NaN/Inf controls, block-size independence, oscillator error) against the
core library of the editable build (tests/core_library.py); the ctest harness in tests/csrc runs the same executable."""
import os
import subprocess
import sys

import pytest

pytest.importorskip("torch")
pytest.importorskip("gguf")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ddsp_core_helpers import make_model  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "tests"))
from core_library import core_static_library, cxx  # noqa: E402


def test_cpp_ddsp_model(tmp_path):
    exe = tmp_path / "test_ddsp_model"
    subprocess.run([cxx(), "-O2", "-std=c++17", "-I", os.path.join(ROOT, "csrc"),
                    os.path.join(ROOT, "tests", "csrc", "test_ddsp_model.cpp"), core_static_library(), "-o", str(exe)],
                   check=True)
    _, path = make_model(tmp_path, "small", seed=2)
    r = subprocess.run([str(exe), str(path)], capture_output=True, text=True, timeout=300)
    print(r.stdout, r.stderr)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "allocations in process over 1200 random blocks: 0" in r.stdout
