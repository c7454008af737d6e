"""Streaming behaviour of the DDSP core: bad control values, reset, prepare/process contract,
bad files, zero control latency."""
import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("gguf")

from rt_synth import _core  # noqa: E402

from ddsp_core_helpers import HOP, SR, control_streams, make_model, run_core  # noqa: E402


@pytest.fixture(scope="module")
def core(tmp_path_factory):
    _, path = make_model(tmp_path_factory.mktemp("ddsp"), "small", seed=5)
    c = _core.DDSPModel(str(path))
    c.prepare(SR, 4096)
    return c


def test_properties(core):
    assert core.kind == "ddsp" and core.sample_rate == SR and core.hop == HOP
    assert core.latency == 0 and core.metadata["latency_samples"] == 0
    assert core.metadata["name"] == "small"


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e30, -1e30])
def test_bad_control_values_keep_output_finite(core, bad):
    f0, ld = control_streams(1.0)
    rng = np.random.default_rng(0)
    for arr in (f0, ld):
        arr[rng.integers(0, len(arr), 300)] = bad
    f0[HOP * 10: HOP * 30] = bad  # whole frames of bad f0
    ld[HOP * 40: HOP * 60] = bad
    f0[:HOP] = bad  # before any valid value
    out = run_core(core, f0, ld, 100, 0)
    assert np.all(np.isfinite(out)) and np.abs(out).max() < 10.0
    # and the state is not poisoned: good input afterwards gives the same as after a reset
    g0, g1 = control_streams(0.5, seed=3)
    after = run_core(core, g0, g1, 128, 0)
    assert np.all(np.isfinite(after))


def test_nan_holds_previous_value(core):
    f0, ld = control_streams(1.0)
    clean = run_core(core, f0, ld, 256, 9)
    f0n, ldn = f0.copy(), ld.copy()
    # NaN on samples that are not frame boundaries changes nothing (only i·H is read)
    idx = np.arange(len(f0))
    mask = (idx % HOP) != 0
    f0n[mask] = np.nan
    ldn[mask] = np.nan
    np.testing.assert_array_equal(run_core(core, f0n, ldn, 256, 9), clean)
    # NaN on a frame boundary repeats the previous frame's value
    f0h, ldh = f0.copy(), ld.copy()
    f0h[HOP * 50] = np.nan
    ldh[HOP * 50] = np.nan
    f0r, ldr = f0.copy(), ld.copy()
    f0r[HOP * 50] = f0[HOP * 49]
    ldr[HOP * 50] = ld[HOP * 49]
    np.testing.assert_array_equal(run_core(core, f0h, ldh, 77, 9), run_core(core, f0r, ldr, 77, 9))


def test_reset_replays_identically_and_seed_changes_noise(core):
    f0, ld = control_streams(1.0)
    a = run_core(core, f0, ld, 333, 42)
    b = run_core(core, f0, ld, 333, 42)
    np.testing.assert_array_equal(a, b)
    c = run_core(core, f0, ld, 333, 43)
    assert np.abs(a - c).max() > 0  # only the noise differs
    assert core.sample_counter == len(f0) + (-len(f0)) % HOP  # whole frames of noise drawn


def test_reset_starts_from_silence(core):
    # The first frame's amplitudes ramp up from 0: sample 0 is (almost) silent.
    f0, ld = control_streams(0.1)
    out = run_core(core, f0, ld, 64, 0)
    assert abs(out[0]) < 0.05 * np.abs(out).max()


def test_zero_control_latency(core):
    """A loudness step at a frame boundary changes the very next sample (latency 0)."""
    n = 40 * HOP
    f0 = np.full(n, 330.0, np.float32)
    ld = np.full(n, -100.0, np.float32)
    base = run_core(core, f0, ld, 512, 0)
    ld2 = ld.copy()
    ld2[20 * HOP:] = -10.0
    step = run_core(core, f0, ld2, 512, 0)
    np.testing.assert_array_equal(step[:20 * HOP], base[:20 * HOP])
    assert step[20 * HOP] != base[20 * HOP]


def test_contract_errors(tmp_path, core):
    _, path = make_model(tmp_path, "small", seed=1)
    c = _core.DDSPModel(str(path))
    with pytest.raises(ValueError):
        c.process(np.zeros(4, np.float32), np.zeros(4, np.float32))  # before prepare
    with pytest.raises(ValueError, match="44100"):
        c.prepare(44100, 512)
    c.prepare(SR, 64)
    with pytest.raises(ValueError):
        c.process(np.zeros(65, np.float32), np.zeros(65, np.float32))  # > max_block
    with pytest.raises(ValueError):
        c.process(np.zeros(8, np.float32), np.zeros(7, np.float32))
    out = np.full(8, 5.0, np.float32)
    r = c.process(np.full(8, 200.0, np.float32), np.full(8, -20.0, np.float32), out)
    assert r is out or np.shares_memory(r, out)
    m = _core.load_model(str(path))
    assert m.kind == "ddsp"


def test_bad_files_raise_reader_errors(tmp_path):
    bad = tmp_path / "garbage.rtsynth"
    bad.write_bytes(b"not a model at all" * 10)
    with pytest.raises(Exception) as e1:
        _core.DDSPModel(str(bad))
    with pytest.raises(Exception) as e2:
        _core.DDSPModel(str(tmp_path / "missing.rtsynth"))
    _, path = make_model(tmp_path, "small", seed=1)
    data = path.read_bytes()
    trunc = tmp_path / "trunc.rtsynth"
    trunc.write_bytes(data[: len(data) // 2])
    with pytest.raises(Exception) as e3:
        _core.DDSPModel(str(trunc))
    reader_error = getattr(_core, "ModelFileError", ValueError)
    for e in (e1, e2, e3):
        assert isinstance(e.value, reader_error), type(e.value)
        assert str(e.value)
    assert "trunc.rtsynth" in str(e3.value)
