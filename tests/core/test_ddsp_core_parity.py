"""Streaming DDSP core (csrc/kinds/ddsp/ddsp_model.*) against the PyTorch model in float64:
same weights, same counter noise, block sizes 1..4096 over 10 s, max abs error ≤ 1e-4; and the
output must not depend on the block size at all."""
import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("gguf")

from rt_synth import _core  # noqa: E402

from ddsp_core_helpers import HOP, SR, control_streams, make_model, reference, run_core  # noqa: E402

TOL = 1e-4
SEED = 1234


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    model, path = make_model(tmp_path_factory.mktemp("ddsp"), "small")
    f0, ld = control_streams(10.0)
    return model, path, f0, ld, reference(model, f0, ld, SEED)


@pytest.fixture(scope="module")
def small_core(small):
    core = _core.DDSPModel(str(small[1]))
    core.prepare(SR, 4096)
    return core


@pytest.mark.parametrize("block", [1, 7, 64, 128, 1000, 4096])
def test_parity_with_pytorch_at_block_size(small, small_core, block):
    _, _, f0, ld, ref = small
    out = run_core(small_core, f0, ld, block, SEED)
    assert np.all(np.isfinite(out))
    assert np.abs(ref).max() > 0.05  # the test would be empty if the model were silent
    err = np.abs(out.astype(np.float64) - ref).max()
    assert err <= TOL, f"block {block}: max abs error {err:.3g}"


def test_block_size_independence(small, small_core):
    _, _, f0, ld, _ = small
    f0, ld = f0[:3 * SR], ld[:3 * SR]
    a = run_core(small_core, f0, ld, 4096, SEED)
    for block in (1, 7, 64, 128, 1000, 191, 193):
        np.testing.assert_array_equal(run_core(small_core, f0, ld, block, SEED), a)
    sizes = np.random.default_rng(0).integers(1, 4097, 500)
    np.testing.assert_array_equal(run_core(small_core, f0, ld, list(sizes), SEED), a)


def test_parity_base_size(tmp_path):
    """hidden 256, GRU 384, 64 harmonics, 65 bands (the shipped 'base' size)."""
    model, path = make_model(tmp_path, "base", seed=3)
    f0, ld = control_streams(2.0, seed=1)
    ref = reference(model, f0, ld, 7)
    core = _core.DDSPModel(str(path))
    core.prepare(SR, 4096)
    m = core.metadata
    assert (m["hidden_size"], m["gru_size"], m["n_harmonics"], m["n_noise_bands"]) == (256, 384, 64, 65)
    out = run_core(core, f0, ld, 128, 7)
    err = np.abs(out.astype(np.float64) - ref).max()
    assert err <= TOL, err
