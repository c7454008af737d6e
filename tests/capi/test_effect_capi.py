"""kind "effect" through the C ABI (cffi, rt_synth.capi): one method, forward (transfer an alias,
synth refused); at the model's rate the samples equal _core.EffectModel's (pybind11) at any
block size; any other host rate goes through the HostAdapter (the model keeps its rate); input
and output gain move smoothly to their values; hostile input stays finite and under the ceiling.
Zero allocations: tests/csrc/test_capi_rt.cpp (ctest capi_rt_effect, capi_rt_effect_wavenet)."""
from __future__ import annotations

import numpy as np
import pytest

from rt_synth import _core
from rt_synth.capi import CAPIError, CModel

FORWARD, TRANSFER = 3, 1


@pytest.fixture(scope="module", params=["lstm", "wavenet"])
def effect_model(request, tmp_path_factory):
    torch = pytest.importorskip("torch")
    from rt_synth.kinds.effect.export.native import write_effect
    from rt_synth.kinds.effect.model.config import CONFIGS, EffectConfig
    from rt_synth.kinds.effect.model.model import EffectModel

    torch.manual_seed(0)
    cfg = CONFIGS["wavenet-nano"] if request.param == "wavenet" else EffectConfig(arch="lstm", hidden_size=12)
    m = EffectModel(cfg).eval()
    for p in m.parameters():
        p.data.normal_(0, 0.3)
    return write_effect(m, tmp_path_factory.mktemp("fx") / "fx", "fx-" + request.param)


def _guitar(seconds=0.5, rate=48000, amp=0.1):
    t = np.arange(int(seconds * rate)) / rate
    x = sum(np.sin(2 * np.pi * f * t) for f in (110.0, 164.8, 220.0)) / 3 * np.exp(-3 * t)
    x += 0.02 * np.random.default_rng(3).standard_normal(len(t))
    return (amp * x).astype(np.float32)


def _run(c, x, block):
    return np.concatenate([c.process(inputs=[x[i:i + block]])[0] for i in range(0, len(x), block)])


def test_metadata_method_params(effect_model):
    c = CModel(effect_model, FORWARD)
    core = _core.EffectModel(str(effect_model))
    assert (c.kind, c.name, c.sample_rate, c.method) == ("effect", core.name, 48000, FORWARD)
    (m,) = c.methods()
    assert (m["name"], m["in_channels"], m["out_channels"], m["takes_midi"], m["latency"]) == ("forward", 1, 1, False, 0)
    p = c.params()
    assert p["input_gain_db"] == (100, -24.0, 24.0, 0.0) and p["output_gain_db"] == (101, -40.0, 24.0, 0.0)
    assert p["output_ceiling_db"] == (4000, -24.0, 12.0, 0.0)
    assert c.metadata()["rt_synth.kind"] == "effect"
    assert CModel(effect_model, "transfer").method == FORWARD  # audio → audio alias
    with pytest.raises(CAPIError, match="'effect' model runs forward"):
        CModel(effect_model, "synth")


@pytest.mark.parametrize("block", [1, 64, 333, 4096])
def test_identical_to_pybind11_at_the_model_rate(effect_model, block):
    x = _guitar()
    c = CModel(effect_model, TRANSFER)
    c.prepare(48000, min(block, 1024), channels=2)
    core = _core.EffectModel(str(effect_model))
    ref = core.process(x)
    assert 1e-3 < np.abs(ref).max() < 0.8  # under the safety stage's threshold: it passes bit for bit
    y = np.concatenate([c.process(inputs=[x[i:i + block]] * 2) for i in range(0, len(x), block)], axis=1)
    np.testing.assert_array_equal(y[0], ref)
    np.testing.assert_array_equal(y[1], ref)
    assert c.latency == 0


@pytest.mark.parametrize("rate", [44100, 96000])
def test_other_host_rates_resample_around_the_model(effect_model, rate):
    """A 1 kHz tone at the host's rate comes out at 1 kHz (the model ran at 48 kHz), delayed by
    the adapter's reported latency, and the level matches the model's own at 48 kHz."""
    c = CModel(effect_model, FORWARD)
    c.prepare(rate, 256)
    assert c.latency > 0 and c.latency_seconds == pytest.approx(c.latency / rate, abs=1 / rate)
    n = rate // 2
    x = (0.1 * np.sin(2 * np.pi * 1000 * np.arange(n) / rate)).astype(np.float32)
    y = _run(c, x, 256)
    assert np.all(np.isfinite(y))
    tail = y[n // 2:]
    spec = np.abs(np.fft.rfft((tail - tail.mean()) * np.hanning(len(tail))))
    assert abs(np.argmax(spec) * rate / len(tail) - 1000) < 5
    x48 = (0.1 * np.sin(2 * np.pi * 1000 * np.arange(24000) / 48000)).astype(np.float32)
    ref = _core.EffectModel(str(effect_model)).process(x48)[12000:]
    assert np.mean(tail) == pytest.approx(np.mean(ref), abs=0.02 * np.abs(ref).max())  # the model's own DC
    assert 20 * np.log10(np.std(tail) / np.std(ref)) == pytest.approx(0, abs=0.5)


def test_gains_are_smooth_and_exact_once_settled(effect_model):
    x = _guitar(1.0)
    c = CModel(effect_model, FORWARD)
    c.prepare(48000, 128)
    c.set_param("output_gain_db", -6.0)  # before the first block: applies at once
    ref = _core.EffectModel(str(effect_model)).process(x)
    y = _run(c, x, 128)
    np.testing.assert_allclose(y, ref * 10 ** (-6 / 20), rtol=1e-5, atol=1e-7)
    # a change while playing ramps (no step): the largest sample-to-sample change of the gain
    c.reset()
    dc = np.full(48000, 0.05, np.float32)
    first = _run(c, dc[:24000], 128)
    c.set_param("output_gain_db", 0.0)
    second = _run(c, dc[24000:], 128)
    steady = first[-1]
    assert abs(steady) > 1e-4
    g = second / steady
    assert g[0] < 1.01  # the first sample after the change is still at the old gain, nearly
    assert np.max(np.abs(np.diff(g))) < 0.01  # ~10 ms ramp: no step of the size of the change (0.5)
    assert g[-1] == pytest.approx(1 / 10 ** (-6 / 20), rel=1e-3)
    c.set_param("input_gain_db", -24.0)
    quiet = _run(c, x, 128)
    assert np.std(quiet[-24000:]) < 0.5 * np.std(y[-24000:])


def test_hostile_input_is_finite_and_under_the_ceiling(effect_model):
    c = CModel(effect_model, FORWARD)
    c.prepare(44100, 64)
    c.set_param("output_ceiling_db", -6.0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-50, 50, 20000).astype(np.float32)
    x[::97] = np.nan
    x[::89] = np.inf
    x[::83] = -np.inf
    y = _run(c, x, 64)
    assert np.all(np.isfinite(y)) and np.abs(y).max() <= 10 ** (-6 / 20) + 1e-6
    c.reset()  # and it forgets: silence in gives what a fresh handle gives (a random model's DC)
    fresh = CModel(effect_model, FORWARD)
    fresh.prepare(44100, 64)
    fresh.set_param("output_ceiling_db", -6.0)
    z = np.zeros(44100, np.float32)
    np.testing.assert_allclose(_run(c, z, 64)[-4410:], _run(fresh, z, 64)[-4410:], atol=1e-5)


@pytest.mark.parametrize("arch", ["lstm", "wavenet"])
def test_knobs_are_parameters_with_their_ranges_and_change_the_sound(tmp_path, arch):
    """A model with knobs (docs/effect-models.md, "Knobs"): knob k is parameter 200 + k, named
    as the knob, over its range from its default (hosts and plugins map them by name); set
    before a block, it applies from that block, as _core.EffectModel.set_knob does."""
    torch = pytest.importorskip("torch")
    from rt_synth.kinds.effect.export.native import write_effect
    from rt_synth.kinds.effect.model.config import CONFIGS
    from rt_synth.kinds.effect.model.model import EffectModel

    torch.manual_seed(1)
    m = EffectModel(CONFIGS[f"{arch}-knobs-tiny"]).eval()
    for p in m.parameters():
        p.data.normal_(0, 0.3)
    path = write_effect(m, tmp_path / "fx", "fx-knobs")
    c = CModel(path, FORWARD)
    p = c.params()
    assert p["gain"] == (200, 5.0, 30.0, 16.0) and p["tone"] == (201, -6.0, 6.0, 0.0)
    assert p["input_gain_db"] == (100, -24.0, 24.0, 0.0)
    c.prepare(48000, 128)
    x = _guitar(0.5)
    core = _core.EffectModel(str(path))
    default = _run(c, x, 128)
    ref = core.process(x)
    assert np.abs(ref).max() < 0.8  # under the safety stage's threshold: compared sample for sample
    np.testing.assert_allclose(default, ref, atol=1e-6)
    for values in ((30.0, 6.0), (5.0, -6.0)):
        c.reset()
        c.set_param("gain", values[0])
        c.set_param(201, values[1])
        assert (c.get_param("gain"), c.get_param("tone")) == values
        y = _run(c, x, 128)
        core.set_knob("gain", values[0])
        core.set_knob("tone", values[1])
        core.reset()
        np.testing.assert_allclose(y, core.process(x), atol=1e-6)
        assert np.abs(y - default).max() > 1e-3  # the knobs change the sound
    c.set_param("gain", 1e6)  # clamped to the range
    assert c.get_param("gain") == 30.0


def test_a_knob_named_like_another_parameter_is_refused(tmp_path):
    """Hosts find parameters by name: a knob called input_gain_db would shadow the effect's own."""
    torch = pytest.importorskip("torch")
    from dataclasses import replace

    from rt_synth.kinds.effect.export.native import write_effect
    from rt_synth.kinds.effect.model.config import CONFIGS
    from rt_synth.kinds.effect.model.model import EffectModel

    cfg = CONFIGS["lstm-knobs-tiny"]
    knobs = tuple({**k, "name": "input_gain_db"} if i == 0 else k for i, k in enumerate(cfg.knobs))
    torch.manual_seed(0)
    path = write_effect(EffectModel(replace(cfg, knobs=knobs)).eval(), tmp_path / "clash", "clash")
    _core.EffectModel(str(path))  # the model itself is fine
    with pytest.raises(CAPIError, match="knob 'input_gain_db' has the name of another parameter"):
        CModel(path, FORWARD)


def test_a_44k_model_at_a_48k_host(tmp_path):
    """A capture made at 44.1 kHz (NAM files carry their rate) keeps its rate inside a 48 kHz
    host: the adapter resamples around it, a 1 kHz tone stays at 1 kHz at the model's level."""
    torch = pytest.importorskip("torch")
    from rt_synth.kinds.effect.export.native import write_effect
    from rt_synth.kinds.effect.model.config import EffectConfig
    from rt_synth.kinds.effect.model.model import EffectModel

    torch.manual_seed(2)
    m = EffectModel(EffectConfig(arch="lstm", hidden_size=8, sample_rate=44100)).eval()
    path = write_effect(m, tmp_path / "fx44", "fx44")
    c = CModel(path, FORWARD)
    assert c.sample_rate == 44100
    c.prepare(48000, 128)
    assert c.latency > 0
    x = (0.1 * np.sin(2 * np.pi * 1000 * np.arange(24000) / 48000)).astype(np.float32)
    y = _run(c, x, 128)[12000:]
    spec = np.abs(np.fft.rfft((y - y.mean()) * np.hanning(len(y))))
    assert abs(np.argmax(spec) * 48000 / len(y) - 1000) < 5
    x44 = (0.1 * np.sin(2 * np.pi * 1000 * np.arange(22050) / 44100)).astype(np.float32)
    ref = _core.EffectModel(str(path)).process(x44)[11025:]
    assert 20 * np.log10(np.std(y) / np.std(ref)) == pytest.approx(0, abs=0.5)
