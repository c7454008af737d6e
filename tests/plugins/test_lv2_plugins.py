"""The LV2 plugins (plugins/lv2): the timbre-transfer effect run by lv2apply (lilv) on a WAV
file, and the instrument driven with MIDI by a minimal LV2 host (tests/plugins/lv2_midi_host.c,
since lv2apply has no MIDI input). Outputs must match the Python render through the C ABI /
pybind11 within 1e-5 after the latency the plugin reports on its lv2:latency port. A corrupt
model.rtsynth is reported (LV2 log, or stderr under lv2apply, which has no log feature) and
the plugin outputs silence: no crash."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from rt_synth import _core
from rt_synth.capi import CModel

HERE = Path(__file__).resolve().parent
URI = "urn:rt-synth:lv2:rt-synth"


def make_bundle(embed_build: Path, model: Path, dest: Path) -> Path:
    src = embed_build / "plugins" / "lv2" / "rt-synth.lv2"
    assert (src / "rt_synth_lv2.so").is_file() and (src / "manifest.ttl").is_file()
    b = dest / "rt-synth.lv2"
    shutil.copytree(src, b, dirs_exist_ok=True)
    shutil.copy(model, b / "model.rtsynth")
    return b


def lv2apply(bundles: Path, inp: Path, out: Path, plugin: str, controls=()):
    assert shutil.which("lv2apply"), "lv2apply is missing: run scripts/setup.sh (installs lilv-utils)"
    cmd = ["lv2apply", "-i", str(inp), "-o", str(out)]
    for sym, val in controls:
        cmd += ["-c", sym, str(val)]
    env = {**os.environ, "LV2_PATH": f"{bundles}:/usr/lib/lv2"}
    return subprocess.run(cmd + [plugin], capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture(scope="module")
def midi_host(tmp_path_factory) -> Path:
    exe = tmp_path_factory.mktemp("lv2host") / "lv2_midi_host"
    cc = shutil.which("cc") or shutil.which("gcc")
    assert cc, "no C compiler: run scripts/setup.sh (installs build-essential)"
    r = subprocess.run([cc, "-std=c99", "-D_GNU_SOURCE", "-O2", "-Wall", "-o", str(exe), str(HERE / "lv2_midi_host.c"),
                        "-ldl"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return exe


def transfer_input(rate: int) -> np.ndarray:
    t = np.arange(int(1.0 * rate)) / rate
    f = 220 * 2 ** (t / 2)  # a slow glide
    return (0.3 * np.sin(2 * np.pi * np.cumsum(f) / rate) * (t > 0.1)).astype(np.float32)


@pytest.mark.parametrize("rate", [48000, 44100])
def test_effect_lv2apply_matches_c_abi(embed_build, tiny_model, tmp_path, rate):
    bundles = tmp_path / "bundles"
    make_bundle(embed_build, tiny_model, bundles)
    x = transfer_input(rate)
    sf.write(tmp_path / "in.wav", x, rate, subtype="FLOAT")
    r = lv2apply(bundles, tmp_path / "in.wav", tmp_path / "out.wav", URI + "#effect",
                 controls=[("pitch_shift_semitones", 3), ("wet", 0.8)])
    assert r.returncode == 0, r.stdout + r.stderr
    y, sr = sf.read(tmp_path / "out.wav", dtype="float32")
    assert sr == rate and y.size == x.size
    c = CModel(tiny_model, "transfer")
    c.prepare(rate, 512)
    c.set_param("pitch_shift_semitones", 3)
    c.set_param("wet", 0.8)
    ref = np.concatenate([c.process(inputs=[x[i:i + 512]])[0] for i in range(0, x.size, 512)])
    lat = c.latency
    assert lat > 0 and (rate == 48000) == (lat == 192)  # model latency; + resampler delay at 44.1 kHz
    assert np.abs(ref[lat:]).max() > 1e-3
    assert np.abs(y[lat:] - ref[lat:]).max() <= 1e-5


@pytest.mark.parametrize("rate", [48000, 44100])
def test_effect_model_in_the_lv2_effect(embed_build, effect_model, tmp_path, rate):
    """A model of kind "effect" in the same LV2 effect plugin (its forward method): lv2apply's
    output equals the C ABI's, with input_gain_db applied through the control port."""
    bundles = tmp_path / "bundles"
    make_bundle(embed_build, effect_model, bundles)
    x = transfer_input(rate)
    sf.write(tmp_path / "in.wav", x, rate, subtype="FLOAT")
    r = lv2apply(bundles, tmp_path / "in.wav", tmp_path / "out.wav", URI + "#effect",
                 controls=[("input_gain_db", -6)])
    assert r.returncode == 0, r.stdout + r.stderr
    y, sr = sf.read(tmp_path / "out.wav", dtype="float32")
    assert sr == rate and y.size == x.size
    c = CModel(effect_model, "transfer")
    c.prepare(rate, 512)
    c.set_param("input_gain_db", -6)
    c.reset()
    ref = np.concatenate([c.process(inputs=[x[i:i + 512]])[0] for i in range(0, x.size, 512)])
    assert (rate == 48000) == (c.latency == 0)  # causal model; the resamplers' delay at 44.1 kHz
    assert np.abs(ref).max() > 1e-3
    assert np.abs(y - ref).max() <= 1e-5


def _events_file(path: Path, events):
    path.write_text("".join(f"{t} {' '.join(str(b) for b in data)}\n" for t, data in events))


EVENTS = [(4800, bytes([0x90, 60, 100])), (9000, bytes([0x90, 67, 90])), (14000, bytes([0xE0, 0, 80])),
          (30000, bytes([0x80, 60, 0])), (33333, bytes([0x80, 67, 0]))]


@pytest.mark.parametrize("rate,block", [(48000, 256), (48000, 37), (44100, 512)])
def test_instrument_midi_matches_python(embed_build, tiny_model, tmp_path, midi_host, rate, block):
    bundle = make_bundle(embed_build, tiny_model, tmp_path)
    n = int(rate * 1.0)
    ev = [(int(t * rate / 48000), b) for t, b in EVENTS]
    _events_file(tmp_path / "ev.txt", ev)
    r = subprocess.run([str(midi_host), str(bundle), URI + "#instrument", str(rate), str(block), str(n),
                        str(tmp_path / "ev.txt"), str(tmp_path / "out.raw"), "8=0.5"],  # release_s port
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    y = np.fromfile(tmp_path / "out.raw", dtype=np.float32)
    lat = int(r.stdout.split("latency:")[1])
    if rate == 48000:
        e = _core.SynthEngine(str(tiny_model), 8)  # the pybind11 engine
        e.prepare(rate, block)
        e.set_param("release_s", 0.5)
        ref = e.render(ev, n, block)
        assert lat == 0
    else:
        c = CModel(tiny_model, "synth", voices=8)  # resampled host rate: through the C ABI
        c.prepare(rate, block)
        c.set_param("release_s", 0.5)
        ref = c.render(ev, n, block)
        assert lat == c.latency > 0
    assert np.abs(ref).max() > 0.01
    assert np.abs(y[lat:] - ref[lat:]).max() <= 1e-5


def test_corrupt_model_is_reported_not_crashed(embed_build, corrupt_model, tmp_path, midi_host):
    bundles = tmp_path / "bundles"
    bundle = make_bundle(embed_build, corrupt_model, bundles)
    x = transfer_input(48000)
    sf.write(tmp_path / "in.wav", x, 48000, subtype="FLOAT")
    r = lv2apply(bundles, tmp_path / "in.wav", tmp_path / "out.wav", URI + "#effect")
    assert r.returncode == 0, r.stdout + r.stderr  # lv2apply survives
    assert "rt-synth: cannot load" in r.stderr and "model.rtsynth" in r.stderr and "truncated or corrupt model file" in r.stderr
    y, _ = sf.read(tmp_path / "out.wav", dtype="float32")
    assert not np.any(y)  # silence
    _events_file(tmp_path / "ev.txt", EVENTS)
    r = subprocess.run([str(midi_host), str(bundle), URI + "#instrument", "48000", "256", "9600",
                        str(tmp_path / "ev.txt"), str(tmp_path / "out.raw")], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    # through the host's LV2 log, as an error
    assert "lv2 log (http://lv2plug.in/ns/ext/log#Error): rt-synth: cannot load" in r.stderr
    assert "latency: 0" in r.stdout and not np.any(np.fromfile(tmp_path / "out.raw", dtype=np.float32))
