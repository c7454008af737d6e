"""Where the C++ tests that compile against the core find it: the static library of the
editable build (build/cp*/librt_synth_core.a, made by scripts/setup.sh). Never a sanitizer
build (build/ctest-asan), which would need -fsanitize at link time."""
from __future__ import annotations

import glob
import os
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cxx() -> str:
    exe = shutil.which("g++") or shutil.which("c++")
    assert exe, "no C++ compiler: run scripts/setup.sh (installs build-essential)"
    return exe


def core_static_library() -> str:
    libs = sorted(glob.glob(os.path.join(ROOT, "build", "cp*", "librt_synth_core.a")),
                  key=os.path.getmtime)
    assert libs, ("no build/cp*/librt_synth_core.a: the editable install builds it; "
                  "run scripts/setup.sh or scripts/build_core.sh")
    return libs[-1]
