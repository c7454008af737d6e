"""RAVE core: latency (impulse/onset), bad numbers in, latent controls, load_model dispatch and
bad or corrupt files (clear ModelFileError)."""
import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("gguf")

from rt_synth import _core  # noqa: E402

from rave_core_helpers import SR, make_model, reference, run_forward, signal  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    model, path = make_model(tmp_path_factory.mktemp("rave_rt"))
    core = _core.RaveModel(str(path))
    core.prepare(SR, 4096)
    return model, path, core


def _first_change(a, b, tol=0.0):
    d = np.nonzero(np.abs(a - b) > tol)[0]
    return int(d[0]) if len(d) else -1


def _onset(d, rel=1e-2):
    """First sample where |d| exceeds rel × its peak."""
    a = np.abs(d)
    return int(np.nonzero(a > rel * a.max())[0][0])


@pytest.fixture(scope="module")
def impulses(tiny):
    """float64 offline responses to silence and to impulses at a few sample positions."""
    model, _, _ = tiny
    R = model.config.ratio
    n = 40 * R
    _, sil = reference(model, np.zeros(n, np.float32))
    out = {}
    for n0 in (5 * R, 5 * R + 1, 7 * R + R - 1, 11 * R + 13):
        x = np.zeros(n, np.float32)
        x[n0] = 1.0
        out[n0] = (x, reference(model, x)[1][:n] - sil[:n])
    return out


@pytest.mark.parametrize("block", [1, 7, 64, 100, 4096])
def test_impulse_onset_and_latency(tiny, impulses, block):
    """The offline model's response to an impulse at n0 starts exactly at ⌈n0/R⌉·R (the first
    latent frame that sees it: no look-ahead, zero-delay layers); the core's response starts
    at the same sample whatever the block size, so the core adds no buffering of its own and
    its delay is the trained delay latency() = L = (N−1) + (R_e−1)·M."""
    model, _, core = tiny
    c = model.config
    R = c.ratio
    assert core.latency == c.latency == (c.pqmf_taps - 1) + (c.encoder_ratio - 1) * c.n_bands
    x0 = np.zeros(40 * R, np.float32)
    silence = run_forward(core, x0, block)
    for n0, (x, dref) in impulses.items():
        first = -(-n0 // R) * R
        assert _first_change(dref, 0 * dref) == first, n0
        d = run_forward(core, x, block) - silence
        assert _first_change(d, 0 * d) >= first, (block, n0)
        assert _onset(d) == _onset(dref), (block, n0)
        assert np.abs(d - dref).max() <= 1e-4


def test_nan_inf_input_stays_finite(tiny):
    _, _, core = tiny
    x = signal(0.3)
    bad = x.copy()
    bad[1000:1100] = np.nan
    bad[5000] = np.inf
    bad[6000:6010] = -np.inf
    bad[8000] = 1e30
    for block in (1, 100, 4096):
        y = run_forward(core, bad, block)
        assert np.all(np.isfinite(y)) and np.abs(y).max() < 1e4
    core.reset()
    u = core.encode(bad)
    assert np.all(np.isfinite(u))
    core.reset()
    z = np.full((core.latent_size, 8), np.nan, np.float32)
    z[:, 4:] = np.inf
    assert np.all(np.isfinite(core.decode(z)))
    # reset returns to the clean state: no poisoned history
    np.testing.assert_array_equal(run_forward(core, x, 256), run_forward(core, x, 256))


def test_latent_controls(tiny):
    model, _, core = tiny
    x = signal(0.2)
    D = core.latent_size
    std = core.latent_std
    plain = run_forward(core, x, 256)
    u, _ = reference(model, x)
    off = np.array([0.5, -0.3, 0.2, 0.0], np.float32)[:D]
    sc = np.array([1.5, 0.5, 0.0, 1.0], np.float32)[:D]
    for i in range(D):
        core.set_latent_offset(i, float(off[i]))
        core.set_latent_scale(i, float(sc[i]))
        assert core.latent_offset(i) == pytest.approx(off[i]) and core.latent_scale(i) == sc[i]
    try:
        y = run_forward(core, x, 100)
        _, ref = reference(model, x, u * sc[:, None] + off[:, None])
        assert np.abs(y - ref[: len(x)]).max() <= 1e-4
        assert np.abs(y - plain).max() > 1e-3
        core.set_latent_offset(0, 1e9)  # clamped to ±range·std
        assert core.latent_offset(0) == pytest.approx(core.metadata["latent_offset_range"] * std[0])
        core.set_latent_scale(0, -5)
        assert core.latent_scale(0) == 0.0
        with pytest.raises(IndexError):
            core.set_latent_offset(D, 0.0)
    finally:
        for i in range(D):
            core.set_latent_offset(i, 0.0)
            core.set_latent_scale(i, 1.0)
    np.testing.assert_array_equal(run_forward(core, x, 256), plain)


def test_load_model_dispatch(tiny, tmp_path):
    _, path, _ = tiny
    m = _core.load_model(str(path))
    assert isinstance(m, _core.RaveModel) and m.kind == "rave"
    from ddsp_core_helpers import make_model as make_ddsp

    _, dpath = make_ddsp(tmp_path, "small")
    d = _core.load_model(str(dpath))
    assert isinstance(d, _core.DDSPModel)
    with pytest.raises(_core.ModelFileError):
        _core.RaveModel(str(dpath))  # kind ddsp is not a rave file


def test_prepare_checks(tiny):
    _, path, _ = tiny
    m = _core.RaveModel(str(path))
    with pytest.raises(ValueError, match="prepare"):
        m.forward(np.zeros(10, np.float32))
    with pytest.raises(ValueError, match="sample rate"):
        m.prepare(44100, 256)


# ---- bad and corrupt files ----

def _write_patched(tmp_path, monkeypatch, name, u32=None, drop=None, arrays=None):
    """Writes the tiny model with some metadata values replaced or a tensor dropped."""
    import gguf

    import rt_synth.kinds.rave.export.native as rn

    model, _ = make_model(tmp_path, name="base_" + name)
    orig_u32, orig_arr, orig_t = gguf.GGUFWriter.add_uint32, gguf.GGUFWriter.add_array, rn.rave_tensors
    u32, arrays = u32 or {}, arrays or {}
    monkeypatch.setattr(gguf.GGUFWriter, "add_uint32",
                        lambda self, k, v: orig_u32(self, k, u32.get(k, v)))
    monkeypatch.setattr(gguf.GGUFWriter, "add_array",
                        lambda self, k, v: orig_arr(self, k, arrays.get(k, v)))
    if drop:
        monkeypatch.setattr(rn, "rave_tensors",
                            lambda m: {k: v for k, v in orig_t(m).items() if k != drop})
    path = rn.write_rave(model, tmp_path / name, name)
    monkeypatch.undo()
    return path


@pytest.mark.parametrize("case,patch,match", [
    ("latency", {"u32": {"rt_synth.latency_samples": 100}}, "latency_samples"),
    ("hop", {"u32": {"rt_synth.hop": 64}}, "rt_synth.hop"),
    ("bands", {"u32": {"rt_synth.rave.n_bands": 0}}, "n_bands"),
    ("kernel", {"u32": {"rt_synth.rave.kernel": 5}}, "expected"),
    ("latent", {"u32": {"rt_synth.rave.latent_size": 5, "rt_synth.control.latent_count": 5}},
     "expected"),
    ("channels", {"arrays": {"rt_synth.rave.decoder_channels": [16, 12, 9]}}, "decoder"),
    ("strides", {"arrays": {"rt_synth.rave.decoder_strides": [2, 4]}}, "decoder_strides"),
    ("short", {"arrays": {"rt_synth.rave.encoder_channels": [8, 12]}}, "encoder_channels"),
    ("missing", {"drop": "decoder.stages.1.residuals.1.mix.conv.bias"}, "missing tensor"),
    ("pca", {"drop": "latent_pca"}, "latent_pca"),
])
def test_bad_files_raise_model_file_error(tmp_path, monkeypatch, case, patch, match):
    path = _write_patched(tmp_path, monkeypatch, case, **patch)
    with pytest.raises(_core.ModelFileError, match=match):
        _core.RaveModel(str(path))
    with pytest.raises(_core.ModelFileError):
        _core.load_model(str(path))


def test_truncated_and_flipped_files(tiny, tmp_path):
    _, path, _ = tiny
    data = path.read_bytes()
    rng = np.random.default_rng(0)
    for cut in (16, len(data) // 3, len(data) - 7):
        p = tmp_path / f"cut{cut}.rtsynth"
        p.write_bytes(data[:cut])
        with pytest.raises(_core.ModelFileError):
            _core.RaveModel(str(p))
    for i in range(40):  # bit flips: either a clear error or a model that runs finite
        b = bytearray(data)
        pos = int(rng.integers(0, len(b)))
        b[pos] ^= 1 << int(rng.integers(0, 8))
        p = tmp_path / f"flip{i}.rtsynth"
        p.write_bytes(bytes(b))
        try:
            m = _core.RaveModel(str(p))
        except _core.ModelFileError:
            continue
        m.prepare(SR, 256)
        assert np.all(np.isfinite(m.forward(signal(0.05))))
