"""The C ABI seen from outside C++ (cffi, ABI mode, rt_synth.capi): the library installed with
the package renders exactly what the pybind11 module renders for the same model and events;
metadata, parameters, errors and loading from memory behave as the header says."""
from __future__ import annotations

import numpy as np
import pytest

from rt_synth import _core
from rt_synth.capi import CAPIError, CModel, library_path, load

EVENTS = [
    (0, bytes([0x90, 60, 100])),
    (1000, bytes([0xB0, 1, 90])),          # mod wheel: vibrato
    (9000, bytes([0x90, 67, 80])),         # second voice
    (15000, bytes([0xE0, 0x00, 0x50])),    # pitch bend
    (24000, bytes([0x80, 60, 0])),
    (30000, bytes([0x80, 67, 0, 0x90, 64, 110])),  # two messages in one chunk
    (40000, bytes([0x80, 64, 0])),
]
N = 52000


def test_library_installed_next_to_package_and_abi_version():
    ffi, lib = load()
    assert library_path().name == "librt_synth_c.so"
    assert lib.rt_synth_abi_version() == 1
    assert ffi.string(lib.rt_synth_version()).decode() == _core.version()


def test_metadata_matches_the_core(tiny_model):
    m = CModel(tiny_model)
    d = _core.DDSPModel(str(tiny_model))
    assert (m.kind, m.name, m.sample_rate, m.hop) == ("ddsp", d.name, d.sample_rate, d.hop)
    meta = m.metadata()
    assert meta["rt_synth.kind"] == "ddsp" and int(meta["rt_synth.ddsp.n_harmonics"]) == d.metadata["n_harmonics"]
    assert float(meta["rt_synth.ddsp.loudness_std"]) == pytest.approx(d.metadata["loudness_std"])
    methods = {x["name"]: x for x in m.methods()}
    assert methods["synth"]["in_channels"] == 0 and methods["synth"]["takes_midi"]
    assert methods["transfer"]["in_channels"] == 1 and methods["controls"]["in_channels"] == 2
    assert all(x["out_channels"] == 1 and x["out_ratio"] == 1 for x in methods.values())
    params = m.params()
    assert params == {k: (v[0], pytest.approx(v[1]), pytest.approx(v[2]), pytest.approx(v[3]))
                      for k, v in _core.synth_params().items() if k != "polyphony"} | {"polyphony": params["polyphony"]}
    assert params["polyphony"][3] == 8  # default clamped to the voices opened


@pytest.mark.parametrize("block", [256, 37, 1000])
def test_synth_render_identical_to_pybind11(tiny_model, block):
    c = CModel(tiny_model, "synth", voices=4)
    c.prepare(48000, block)
    p = _core.SynthEngine(str(tiny_model), 4)
    p.prepare(48000, block)
    for eng_set in (c.set_param, p.set_param):
        eng_set("attack_s", 0.02)
        eng_set("release_s", 0.15)
    c.process(192)  # apply the queued parameters before the render's reset, as render_midi does
    p.process(192)
    c.reset()
    p.reset()
    y_c = c.render(EVENTS, N, block)
    y_p = p.render(EVENTS, N, block)
    assert np.abs(y_p).max() > 0.01  # the notes sound
    assert np.array_equal(y_c, y_p)  # bit for bit
    assert c.get_param("attack_s") == pytest.approx(0.02)


def test_controls_identical_to_ddsp_model(tiny_model):
    rng = np.random.default_rng(0)
    t = np.arange(30000)
    f0 = (220 + 80 * np.sin(t / 3000)).astype(np.float32)
    ld = (-40 + 20 * np.sin(t / 7000) + rng.normal(0, 1, t.size)).astype(np.float32)
    c = CModel(tiny_model, "controls")
    c.prepare(48000, 512)
    y_c = np.concatenate([c.process(inputs=[f0[i:i + 500], ld[i:i + 500]])[0] for i in range(0, t.size, 500)])
    d = _core.DDSPModel(str(tiny_model))
    d.prepare(48000, t.size)
    d.reset(0)
    y_p = d.process(f0, ld)
    assert np.abs(y_p).max() > 1e-3
    assert np.array_equal(y_c, y_p)


@pytest.mark.parametrize("rate", [48000, 44100])
def test_transfer_identical_to_pybind11(tiny_model, rate):
    t = np.arange(int(0.8 * rate)) / rate
    x = (0.3 * np.sin(2 * np.pi * 330 * t) * (t > 0.1)).astype(np.float32)
    c = CModel(tiny_model, "transfer")
    c.prepare(rate, 256, channels=2)
    c.set_param("pitch_shift_semitones", 3.0)
    p = _core.TimbreTransfer(str(tiny_model))
    p.prepare(rate, 256)
    p.reset(0)
    p.pitch_shift = 3.0
    out_c, out_p = [], []
    for i in range(0, x.size, 256):
        blk = x[i:i + 256]
        y = c.process(inputs=[blk, blk])  # two identical input channels average to the signal
        assert np.array_equal(y[0], y[1])
        out_c.append(y[0])
        out_p.append(p.process(blk))
    assert c.latency == p.latency
    y_c, y_p = np.concatenate(out_c), np.concatenate(out_p)
    assert np.abs(y_p).max() > 1e-3
    assert np.array_equal(y_c, y_p)


def test_open_from_memory_equals_file(tiny_model):
    a = CModel(tiny_model)
    b = CModel(tiny_model.read_bytes(), name="mem.rtsynth")
    for m in (a, b):
        m.prepare(48000, 128)
    assert np.array_equal(a.render(EVENTS[:3], 12000, 128), b.render(EVENTS[:3], 12000, 128))


def test_errors_are_reported_not_crashed(tiny_model, corrupt_model, tmp_path):
    with pytest.raises(CAPIError) as e:
        CModel(corrupt_model)
    assert e.value.status == 3 and "corrupt.rtsynth" in str(e.value) and "truncated or corrupt model file" in str(e.value)
    with pytest.raises(CAPIError) as e:
        CModel(b"GGUF" + bytes(40), name="junk")
    assert "junk" in str(e.value)
    with pytest.raises(CAPIError) as e:
        CModel(tmp_path / "missing.rtsynth")
    assert e.value.status == 2 and "missing.rtsynth" in str(e.value)
    with pytest.raises(CAPIError) as e:
        CModel(tiny_model, voices=99)
    assert "max_voices" in str(e.value)
    m = CModel(tiny_model, "transfer")
    assert m.send_midi(bytes([0x90, 60, 100])) == 5  # UNSUPPORTED: transfer takes no MIDI
    with pytest.raises(CAPIError) as e:
        m.process(64, inputs=[np.zeros(64, np.float32)])
    assert e.value.status == 7  # NOT_PREPARED
    c = CModel(tiny_model, "controls")
    with pytest.raises(CAPIError) as e:
        c.prepare(44100, 64)
    assert "48000" in str(e.value)
    with pytest.raises(CAPIError):
        m.prepare(48000, 0)


def test_params_clamped_and_checked(tiny_model):
    m = CModel(tiny_model, "transfer")
    m.set_param("wet", 7.0)
    assert m.get_param("wet") == 1.0
    with pytest.raises(KeyError):
        m.set_param("nope", 1.0)
    with pytest.raises(CAPIError):
        m.set_param("wet", float("nan"))
    s = CModel(tiny_model, "synth")
    s.prepare(48000, 64)
    s.set_param("transpose_semitones", 100.0)
    s.process(64)
    assert s.get_param("transpose_semitones") == 48.0
