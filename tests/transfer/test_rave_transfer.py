"""`rt-synth transfer` on a model of kind "rave": the core's RaveEngine (forward) block by
block, equal to RaveModel.forward at the model's rate; latent options; other host rates
through the HostAdapter with the resamplers' reported delay checked by an impulse onset."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from rt_synth import _core
from rt_synth.cli.main import main

SR = 48000


@pytest.fixture(scope="module")
def rave_model(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("gguf")
    from rave_core_helpers import make_model

    _, path = make_model(tmp_path_factory.mktemp("rave_transfer"), "tiny", name="tiny")
    return str(path)


def _signal(seconds=1.0, sr=SR):
    from rave_core_helpers import signal

    x = signal(seconds)
    if sr != SR:
        from scipy.signal import resample_poly
        g = np.gcd(sr, SR)
        x = resample_poly(x, sr // g, SR // g).astype(np.float32)
    return x


def _forward(path, x, offsets=(), scales=()):
    m = _core.RaveModel(path)
    m.prepare(SR, 4096)
    for i, v in offsets:
        m.set_latent_offset(i, v)
    for i, v in scales:
        m.set_latent_scale(i, v)
    # RaveEngine ends in the safety stage (docs/safety.md); RaveModel has none.
    return _core.transfer.OutputLimiter(SR).process(m.forward(x))


@pytest.mark.parametrize("block", [1, 37, 256, 4096])
def test_cli_equals_core_forward(tmp_path, rave_model, capsys, block):
    x = _signal(0.5 if block == 1 else 1.0)
    sf.write(tmp_path / "in.wav", x, SR, subtype="FLOAT")
    assert main(["transfer", rave_model, str(tmp_path / "in.wav"), str(tmp_path / "out.wav"),
                 "--block", str(block)]) == 0
    out = capsys.readouterr().out
    assert "latency: 127 samples" in out and "real-time factor" in out
    y, sr = sf.read(tmp_path / "out.wav", dtype="float32")
    assert sr == SR and len(y) == len(x)
    np.testing.assert_array_equal(y, _forward(rave_model, x))  # bit for bit, any block


def test_compensate_latency_and_latent_options(tmp_path, rave_model, capsys):
    x = _signal()
    sf.write(tmp_path / "in.wav", x, SR, subtype="FLOAT")
    args = ["transfer", rave_model, str(tmp_path / "in.wav"), str(tmp_path / "o.wav"), "--block", "100",
            "--compensate-latency", "--latent-offset", "0=0.8", "--latent-offset", "2=-0.5", "--latent-scale", "1=1.7"]
    assert main(args) == 0
    assert "compensated" in capsys.readouterr().out
    y, _ = sf.read(tmp_path / "o.wav", dtype="float32")
    lat = 127
    ref = _forward(rave_model, np.concatenate([x, np.zeros(lat, np.float32)]),
                   offsets=[(0, 0.8), (2, -0.5)], scales=[(1, 1.7)])[lat:]
    np.testing.assert_array_equal(y, ref)
    plain = _forward(rave_model, np.concatenate([x, np.zeros(lat, np.float32)]))[lat:]
    assert np.abs(y - plain).max() > 1e-3  # the options moved the latent


def _onset(path, rate, block=64):
    """First output sample (after the impulse) where an impulse run departs from a silent run."""
    e = _core.RaveEngine(path)
    e.prepare(rate, block)
    n, t0 = rate // 4, rate // 10
    z = np.zeros(n, np.float32)
    imp = z.copy()
    imp[t0] = 1.0
    y0 = np.concatenate([e.process(z[i:i + block]) for i in range(0, n, block)])
    e.reset()
    y1 = np.concatenate([e.process(imp[i:i + block]) for i in range(0, n, block)])
    d = np.abs(y1 - y0)
    return int(np.argmax(d > 1e-3 * d.max())) - t0, e


@pytest.mark.parametrize("rate", [44100, 96000])
def test_other_rate_cli_and_latency_onset(tmp_path, rave_model, capsys, rate):
    """A 44.1/96 kHz file runs through the HostAdapter. Latency: reported = model + resamplers;
    measured: the impulse onset at the host rate minus the onset at 48 kHz (scaled) is the
    resamplers' delay, within the latent-frame grid (R model samples) + 2."""
    x = _signal(0.5, rate)
    sf.write(tmp_path / "in.wav", x, rate, subtype="FLOAT")
    assert main(["transfer", rave_model, str(tmp_path / "in.wav"), str(tmp_path / "o.wav"), "--block", "441"]) == 0
    assert "resampling" in capsys.readouterr().out
    y, sr = sf.read(tmp_path / "o.wav", dtype="float32")
    assert sr == rate and len(y) == len(x) and np.isfinite(y).all() and np.abs(y).max() > 1e-2
    on48, e48 = _onset(rave_model, SR)
    on, e = _onset(rave_model, rate)
    res_delay = e.resampling_delay_seconds * rate
    assert e48.latency == 127 and e.latency == round(e.latency_seconds * rate)
    assert e.latency == pytest.approx(127 / SR * rate + res_delay, abs=1)
    measured = on - on48 * rate / SR
    assert abs(measured - res_delay) <= e.ratio * rate / SR + 2, (measured, res_delay)


def test_rave_option_errors(tmp_path, rave_model, capsys):
    x = _signal(0.2)
    sf.write(tmp_path / "in.wav", x, SR, subtype="FLOAT")
    o = str(tmp_path / "o.wav")
    assert main(["transfer", rave_model, str(tmp_path / "in.wav"), o, "--latent-offset", "9=1"]) == 2
    assert main(["transfer", rave_model, str(tmp_path / "in.wav"), o, "--latent-offset", "x"]) == 2
    assert main(["transfer", rave_model, str(tmp_path / "in.wav"), o, "--pitch-shift", "3"]) == 2
    err = capsys.readouterr().err
    assert "latent controls 0..3" in err and "INDEX=VALUE" in err and "--pitch-shift" in err


def test_ddsp_refuses_latent_options(tmp_path, small_model, capsys):
    x = _signal(0.2)
    sf.write(tmp_path / "in.wav", x, SR, subtype="FLOAT")
    assert main(["transfer", small_model, str(tmp_path / "in.wav"), str(tmp_path / "o.wav"),
                 "--latent-offset", "0=1"]) == 2
    assert "rave models only" in capsys.readouterr().err
