"""The Pure Data external rt_synth~ (plugins/pd) in real Pure Data, headless
(`pd -nogui -batch`): the patch records the external's output with tabwrite~ and writes it
with soundfiler; the recording must equal the Python render of the same events (same model,
same parameters) within 1e-5 after the reported latency. A corrupt model prints the library's
error in the Pd console, Pd keeps running, and a later `load` swaps a good model in while DSP
is running."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from rt_synth import _core
from rt_synth.capi import CModel

SR = 48000


def ms(t):  # Pd delay (ms) -> samples at 48 kHz
    return int(round(t * SR / 1000))


class Patch:
    """A tiny writer of Pd patch files: objects in creation order, then connections."""

    def __init__(self):
        self.lines, self.conns = [], []

    def add(self, kind: str, text: str) -> int:
        self.lines.append(f"#X {kind} 10 {10 + 20 * len(self.lines)} {text};")
        return len(self.lines) - 1

    def obj(self, text):
        return self.add("obj", text)

    def msg(self, text):
        return self.add("msg", text.replace(";", "\\;").replace(",", "\\,"))

    def connect(self, a, b, outlet=0, inlet=0):
        self.conns.append(f"#X connect {a} {outlet} {b} {inlet};")

    def write(self, path: Path):
        path.write_text("#N canvas 0 0 800 600 12;\n" + "\n".join(self.lines + self.conns) + "\n")


def run_pd(patch: Path, pd_dir: Path, timeout=120):
    assert shutil.which("pd"), "Pure Data (pd) is missing: run scripts/setup.sh (installs puredata-core)"
    return subprocess.run(["pd", "-nogui", "-batch", "-noaudio", "-nomidi", "-noprefs", "-r", str(SR), "-stderr",
                           "-path", str(pd_dir), "-lib", "rt_synth~", str(patch)],
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def pd_dir(embed_build) -> Path:
    d = embed_build / "plugins" / "pd"
    assert (d / "rt_synth~.pd_linux").is_file()
    return d


# (delay ms, message to rt_synth~): every time is a multiple of 64 samples (4/3 ms), the Pd tick.
SEQUENCE = [(100, "note 60 100"), (400, "cc 1 100"), (400, "bend 0.5"), (700, "note 60 0"), (700, "note 67 90"),
            (1000, "note 67 0")]
SEQ_BYTES = {"note 60 100": b"\x90\x3c\x64", "cc 1 100": b"\xb0\x01\x64", "bend 0.5": b"\xe0\x00\x60",
             "note 60 0": b"\x80\x3c\x00", "note 67 90": b"\x90\x43\x5a", "note 67 0": b"\x80\x43\x00"}
PARAMS = [("release_s", 0.2), ("vibrato_rate_hz", 6.0)]
N = ms(1500)


def synth_patch(model: str, out_wav: Path, block: int | None, first_model: str | None = None) -> Patch:
    """rt_synth~ (inside a [block~ N] subpatch-free canvas when block is None) -> tabwrite~.
    With first_model: the object is created on that (corrupt) file with DSP running, and on
    its error it is sent `load model`."""
    p = Patch()
    synth = p.obj(f"rt_synth~ {first_model or model} 4")
    tab = p.obj("tabwrite~ out")
    p.obj(f"table out {N}")
    if block:
        p.obj(f"block~ {block}")
    route = p.obj("route loaded error")
    start = p.obj("t b b b")
    dsp = p.msg("; pd dsp 1")
    p.connect(synth, tab)
    p.connect(synth, route, 1)
    p.connect(route, start)
    p.connect(start, dsp, 2)
    p.connect(start, tab, 1)
    for name, value in PARAMS:  # before the model has loaded: remembered and applied on load
        lb = p.obj("loadbang")
        m = p.msg(f"set {name} {value}")
        p.connect(lb, m)
        p.connect(m, synth)
    if first_model:
        lb = p.obj("loadbang")
        dsp0 = p.msg("; pd dsp 1")
        p.connect(lb, dsp0)
        load = p.msg(f"load {model}")
        p.connect(route, load, 1)
        p.connect(load, synth)
    for t, text in SEQUENCE:
        d = p.obj(f"delay {t}")
        m = p.msg(text)
        p.connect(start, d)
        p.connect(d, m)
        p.connect(m, synth)
    d = p.obj(f"delay {1000 * N / SR + 50}")
    w = p.msg(f"write -wave -bytes 4 {out_wav} out")
    sf_ = p.obj("soundfiler")
    q = p.msg("; pd quit")
    p.connect(start, d)
    p.connect(d, w)
    p.connect(w, sf_)
    p.connect(sf_, q)
    # No logical-time guard: under -batch, logical time runs far ahead of the loader thread;
    # the subprocess timeout is the guard.
    return p


def python_render(model: Path) -> np.ndarray:
    e = _core.SynthEngine(str(model), 4)
    e.prepare(SR, 64)
    for name, value in PARAMS:
        e.set_param(name, value)
    events = [(ms(t), SEQ_BYTES[text]) for t, text in SEQUENCE]
    return e.render(events, N, 64)


@pytest.mark.parametrize("block", [None, 16, 256])
def test_pd_renders_like_python(pd_dir, tiny_model, tmp_path, block):
    model = tmp_path / "m.rtsynth"
    shutil.copy(tiny_model, model)
    out = tmp_path / "out.wav"
    patch = tmp_path / "synth.pd"
    # relative model path: resolved against the patch's folder
    synth_patch("m.rtsynth", out, block).write(patch)
    r = run_pd(patch, pd_dir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "rt_synth~: loaded" in r.stderr and "latency 0 samples" in r.stderr
    y, sr = sf.read(str(out), dtype="float32")
    assert sr == SR and y.size == N
    ref = python_render(model)
    assert np.abs(ref).max() > 0.01
    if block == 256:
        # Messages reach a 256-sample subpatch at its block boundaries: events land up to one
        # Pd tick group later; the engine then quantises them to its frame grid. Compare with
        # the events moved to the next multiple of 256 samples.
        e = _core.SynthEngine(str(model), 4)
        e.prepare(SR, 256)
        for name, value in PARAMS:
            e.set_param(name, value)
        ev = [(-(-ms(t) // 256) * 256, SEQ_BYTES[text]) for t, text in SEQUENCE]
        ref = e.render(ev, N, 256)
    err = np.abs(y - ref).max()
    assert err <= 1e-5, f"max error {err} (block {block})"


def test_pd_corrupt_model_reports_error_then_load_swaps_in(pd_dir, tiny_model, corrupt_model, tmp_path):
    shutil.copy(tiny_model, tmp_path / "good.rtsynth")
    shutil.copy(corrupt_model, tmp_path / "bad.rtsynth")
    out = tmp_path / "out.wav"
    patch = tmp_path / "swap.pd"
    synth_patch("good.rtsynth", out, None, first_model="bad.rtsynth").write(patch)
    r = run_pd(patch, pd_dir)
    assert r.returncode == 0, r.stdout + r.stderr  # no crash
    err_line = [ln for ln in r.stderr.splitlines() if "cannot load" in ln]
    assert err_line and "bad.rtsynth" in err_line[0] and "truncated or corrupt model file" in err_line[0], r.stderr
    assert "rt_synth~: loaded" in r.stderr
    y, _ = sf.read(str(out), dtype="float32")
    ref = python_render(tmp_path / "good.rtsynth")
    assert np.abs(y - ref).max() <= 1e-5


@pytest.mark.parametrize("kind", ["ddsp", "effect"])
def test_pd_timbre_transfer_matches_c_abi(pd_dir, tiny_model, effect_model, tmp_path, kind):
    """Signal inlet in `transfer` mode: the recorded input, run through the C ABI from Python,
    gives the recorded output within 1e-5 (the reported latency is the same on both sides).
    A ddsp model (timbre transfer) and an effect model (its forward method, latency 0)."""
    shutil.copy(tiny_model if kind == "ddsp" else effect_model, tmp_path / "m.rtsynth")
    p = Patch()
    osc = p.obj("osc~ 330")
    amp = p.obj("*~ 0.3")
    synth = p.obj("rt_synth~ m.rtsynth 4 transfer")
    tab_out = p.obj("tabwrite~ out")
    tab_in = p.obj("tabwrite~ in")
    p.obj(f"table out {N}")
    p.obj(f"table in {N}")
    route = p.obj("route loaded error")
    start = p.obj("t b b b")
    dsp = p.msg("; pd dsp 1")
    d = p.obj(f"delay {1000 * N / SR + 50}")
    order = p.obj("t b b")
    w_in = p.msg(f"write -wave -bytes 4 {tmp_path / 'in.wav'} in")
    sfi = p.obj("soundfiler")
    w = p.msg(f"write -wave -bytes 4 {tmp_path / 'out.wav'} out")
    sfo = p.obj("soundfiler")
    q = p.msg("; pd quit")
    p.connect(osc, amp)
    p.connect(amp, synth)
    p.connect(amp, tab_in)
    p.connect(synth, tab_out)
    p.connect(synth, route, 1)
    p.connect(route, start)
    p.connect(start, dsp, 2)
    p.connect(start, tab_out, 1)
    p.connect(start, tab_in, 1)
    p.connect(start, d)
    p.connect(d, order)
    p.connect(order, w_in, 1)
    p.connect(w_in, sfi)
    p.connect(order, w, 0)
    p.connect(w, sfo)
    p.connect(sfo, q)
    p.write(tmp_path / "transfer.pd")
    r = run_pd(tmp_path / "transfer.pd", pd_dir)
    assert r.returncode == 0, r.stdout + r.stderr
    x, _ = sf.read(str(tmp_path / "in.wav"), dtype="float32")
    y, _ = sf.read(str(tmp_path / "out.wav"), dtype="float32")
    c = CModel(tmp_path / "m.rtsynth", "transfer")
    c.prepare(SR, 64)
    ref = np.concatenate([c.process(inputs=[x[i:i + 64]])[0] for i in range(0, N, 64)])
    lat = c.latency
    assert f"latency {lat} samples" in r.stderr and (lat == 0) == (kind == "effect")
    assert np.abs(ref[lat:]).max() > 1e-3
    assert np.abs(y[lat:] - ref[lat:]).max() <= 1e-5
