"""What a user installs: the sdist and the wheel built from it (scripts/build_dist.sh), each
installed into a fresh virtual environment WITHOUT torch, then used the way the README says:
`rt-synth models / info / demo / render / transfer / bench / live --list` on the shipped models
by name, an MP3 through transfer, and examples/embed_c built with CMake against the C ABI the
wheel installs (find_package, not the build tree). Nothing here imports the checkout."""
from __future__ import annotations

import json
import os
import subprocess
import venv
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
SR = 48000
# every native model in the checkout's exports/ ships in the wheel
SHIPPED_NAMES = sorted(p.stem for p in (ROOT / "exports").glob("*.rtsynth"))


def _run(cmd, cwd, timeout=900, env=None, check=True):
    e = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    e.update(env or {})
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=e)
    if check:
        assert r.returncode == 0, f"{cmd} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run(["bash", str(ROOT / "scripts" / "build_dist.sh"), str(out)], ROOT, timeout=1800)
    return out


class Env:
    """A fresh venv (no system site-packages) and a working folder outside the checkout."""

    def __init__(self, path: Path):
        self.path = path
        venv.EnvBuilder(with_pip=True, clear=True).create(path)
        self.python = path / "bin" / "python"
        self.work = path / "work"
        self.work.mkdir()

    def pip_install(self, *args):
        _run([str(self.python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *args],
             self.work, timeout=1800)

    def rt(self, *args, check=True):
        return _run([str(self.path / "bin" / "rt-synth"), *args], self.work, timeout=600,
                    env={"HOME": str(self.path), "XDG_DATA_HOME": str(self.path / "xdg")}, check=check)

    def py(self, code: str) -> str:
        return _run([str(self.python), "-c", code], self.work).stdout.strip()


@pytest.fixture(scope="module")
def wheel_env(dist, tmp_path_factory) -> Env:
    env = Env(tmp_path_factory.mktemp("wheel-venv"))
    wheel = next(dist.glob("rt_synth-*.whl"))
    env.pip_install(f"{wheel}[live]")
    return env


@pytest.fixture(scope="module")
def sdist_env(dist, tmp_path_factory) -> Env:
    env = Env(tmp_path_factory.mktemp("sdist-venv"))
    env.pip_install(str(next(dist.glob("rt_synth-*.tar.gz"))))  # compiles the core
    return env


def _mp3(path: Path, seconds=2.0):
    t = np.arange(int(seconds * SR)) / SR
    f0 = 294 * 2 ** (np.floor(t * 2) / 12)
    x = 0.3 * sum(np.sin(2 * np.pi * k * np.cumsum(f0) / SR) / k for k in range(1, 6))
    sf.write(path, x.astype(np.float32), SR, format="MP3", subtype="MPEG_LAYER_III")
    return path


def _check_uses(env: Env):
    assert env.py("import importlib.util as u; print(u.find_spec('torch') is None)") == "True"
    pkg = Path(env.py("import rt_synth, os; print(os.path.dirname(rt_synth.__file__))"))
    assert ROOT not in pkg.parents, f"imported the checkout: {pkg}"
    for sub in ("data", "dsp", "synth", "eval", "export", "benchmark", "cli"):
        env.py(f"import rt_synth.{sub}")

    listed = env.rt("models", "--json")
    names = {m["name"]: m for m in json.loads(listed.stdout)["models"]}
    assert len(SHIPPED_NAMES) >= 7 and set(SHIPPED_NAMES) <= set(names)  # six DDSP instruments + RAVE
    assert all(m["source"] == "shipped" and "error" not in m for m in names.values())
    assert names["violin-rave"]["kind"] == "rave" and names["violin-rave"]["latency_samples"] > 0

    info = json.loads(env.rt("info", "violin-live-ddsp", "--json").stdout)
    assert info["kind"] == "ddsp" and info["sample_rate"] == SR

    midi = pkg / "assets" / "demo_poly.mid"
    env.rt("render", "violin-live-ddsp", "--midi", str(midi), "--out", "render.wav")
    y, sr = sf.read(env.work / "render.wav")
    assert sr == SR and len(y) > SR and np.isfinite(y).all() and np.abs(y).max() > 0.01

    _mp3(env.work / "in.mp3")
    env.rt("transfer", "violin-live-ddsp", "in.mp3", "out.wav")
    y, sr = sf.read(env.work / "out.wav")
    assert sr == SR and np.isfinite(y).all() and np.sqrt(np.mean(y ** 2)) > 1e-3

    r = env.rt("demo", "--out", "demo")
    assert "violin-live-ddsp.rtsynth" in r.stdout and "instruments/cello-ddsp.wav" in r.stdout
    for name in ("synth.wav", "transfer.wav", "spectrogram.png"):
        assert (env.work / "demo" / name).stat().st_size > 1000


def test_wheel_without_torch(wheel_env):
    env = wheel_env
    _check_uses(env)
    env.rt("demo", "--model", "violin-live-ddsp", "--input", "in.mp3", "--out", "demo-mp3")
    y, _ = sf.read(env.work / "demo-mp3" / "transfer.wav")
    assert np.sqrt(np.mean(y ** 2)) > 1e-3

    r = env.rt("bench", "violin-live-ddsp", "--seconds", "1", "--block", "256")
    assert "core" in r.stdout and "torchscript" not in r.stdout.split("note:")[0].lower()
    assert "note: TorchScript" in r.stdout  # says why it measured the core only

    r = env.rt("live", "--list")
    assert "Audio devices" in r.stdout and "MIDI input ports" in r.stdout


def test_sdist_without_torch(sdist_env):
    _check_uses(sdist_env)


def test_embed_c_against_the_installed_cmake_package(wheel_env, tmp_path):
    env = wheel_env
    cfg = Path(env.py("import rt_synth.capi as c; print(c.cmake_dir())"))
    assert (cfg / "rt_synthConfig.cmake").is_file() and env.path in cfg.parents
    b = tmp_path / "b"
    _run(["cmake", "-S", str(ROOT / "examples" / "embed_c"), "-B", str(b), f"-Drt_synth_DIR={cfg}",
          "-DCMAKE_BUILD_TYPE=Release"], tmp_path)
    _run(["cmake", "--build", str(b), "-j", "2"], tmp_path)
    cache = (b / "CMakeCache.txt").read_text()
    assert str(ROOT / "build") not in cache  # the installed package, not the build tree
    model = Path(env.py("import rt_synth.model_locator as m; print(m.resolve_model('violin-live-ddsp'))"))
    assert env.path in model.parents
    r = _run([str(b / "embed_c"), str(model), str(tmp_path / "notes.wav")], tmp_path)
    assert "latency" in r.stdout.lower()
    y, sr = sf.read(tmp_path / "notes.wav")
    assert sr == SR and np.isfinite(y).all() and np.abs(y).max() > 0.01
