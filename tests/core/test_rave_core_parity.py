"""Streaming RAVE core (csrc/kinds/rave/rave_*) against the PyTorch model in float64: same weights
(written by the native exporter), same counter noise; encode, decode and forward at block
sizes 1..4096 (non-multiples of the ratio included) within 1e-4; and the output must not
depend on the block size at all."""
import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("gguf")

from rt_synth import _core  # noqa: E402

from rave_core_helpers import (BLOCKS, SR, make_model, reference, run_decode, run_encode,  # noqa: E402
                               run_forward, signal)

TOL = 1e-4


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    model, path = make_model(tmp_path_factory.mktemp("rave"))
    x = signal(0.5)
    u, y = reference(model, x)
    core = _core.RaveModel(str(path))
    core.prepare(SR, 4096)
    return model, core, x, u, y


def test_model_properties(tiny):
    model, core, *_ = tiny
    c = model.config
    assert (core.kind, core.sample_rate, core.ratio, core.latent_size) == ("rave", SR, c.ratio,
                                                                           c.latent_size)
    assert core.latency == c.latency == (c.pqmf_taps - 1) + (c.encoder_ratio - 1) * c.n_bands
    assert core.metadata["encoder_channels"] == list(c.encoder_channels)
    assert core.metadata["noise"] is True


@pytest.mark.parametrize("block", BLOCKS)
def test_encode_parity(tiny, block):
    _, core, x, u, _ = tiny
    uc = run_encode(core, x, block)
    assert uc.shape == u.shape
    assert np.abs(u).max() > 0.1
    err = np.abs(uc - u).max()
    assert err <= TOL, f"block {block}: encode max abs error {err:.3g}"


@pytest.mark.parametrize("block", BLOCKS)
def test_forward_parity(tiny, block):
    _, core, x, _, y = tiny
    yc = run_forward(core, x, block)
    assert yc.shape == x.shape and np.all(np.isfinite(yc))
    assert np.abs(y).max() > 0.1  # the test would be empty if the model were silent
    err = np.abs(yc - y[: len(x)]).max()
    assert err <= TOL, f"block {block}: forward max abs error {err:.3g}"


@pytest.mark.parametrize("block", BLOCKS)
def test_decode_parity(tiny, block):
    model, core, _, u, y = tiny
    frames = max(1, round(block / model.config.ratio))
    yc = run_decode(core, u, frames)
    err = np.abs(yc - y).max()
    assert err <= TOL, f"{frames} frames per call: decode max abs error {err:.3g}"


def test_block_size_independence(tiny):
    _, core, x, _, _ = tiny
    a = run_forward(core, x, 4096)
    for block in (1, 7, 31, 33, 100, 257):
        np.testing.assert_array_equal(run_forward(core, x, block), a)
    sizes = np.random.default_rng(0).integers(1, 700, 300)
    np.testing.assert_array_equal(run_forward(core, x, list(sizes)), a)
    ua = run_encode(core, x, 4096)
    np.testing.assert_array_equal(run_encode(core, x, list(sizes)), ua)


def test_base_config_parity(tmp_path):
    """M=16, R=256, channels up to 192, no noise branch (the shipped 'base' shape)."""
    model, path = make_model(tmp_path, "base", seed=3)
    x = signal(0.25, seed=1)
    u, y = reference(model, x)
    core = _core.RaveModel(str(path))
    core.prepare(SR, 256)
    assert core.ratio == 256 and core.latency == 447 and core.metadata["noise"] is False
    for block in (256, 100):
        err = np.abs(run_forward(core, x, block) - y[: len(x)]).max()
        assert np.abs(y).max() > 0.1
        assert err <= TOL, f"base, block {block}: {err:.3g}"
    assert np.abs(run_encode(core, x, 1000) - u).max() <= TOL
