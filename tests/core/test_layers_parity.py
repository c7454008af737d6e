"""C++ layers (rt_synth._core.layers) against torch.nn: same weights, same input, same output.

Run for each available kernel path (portable and, where the CPU has it, AVX2+FMA)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from rt_synth import _core  # noqa: E402

L = _core.layers
ISAS = ["portable"] + (["avx2"] if L.set_isa("avx2") else [])
L.set_isa(ISAS[-1])


@pytest.fixture(params=ISAS)
def isa(request):
    before = L.isa()
    assert L.set_isa(request.param)
    yield request.param
    L.set_isa("avx2" if before.startswith("avx2") else "portable")


def f32(t):
    return np.ascontiguousarray(t.detach().numpy().astype(np.float32))


@pytest.mark.parametrize("out_f,in_f,batch", [(1, 1, 1), (7, 5, 3), (16, 33, 1), (256, 256, 1), (100, 64, 9), (130, 17, 32), (48, 8, 2)])
def test_linear_matches_torch(isa, out_f, in_f, batch):
    torch.manual_seed(out_f * 1000 + in_f)
    lin = torch.nn.Linear(in_f, out_f)
    x = torch.randn(batch, in_f)
    ref = f32(lin(x))
    got = L.Linear(f32(lin.weight), f32(lin.bias)).forward(f32(x))
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, atol=1e-5, rtol=1e-5)


def test_linear_without_bias(isa):
    torch.manual_seed(1)
    lin = torch.nn.Linear(12, 20, bias=False)
    x = torch.randn(5, 12)
    np.testing.assert_allclose(L.Linear(f32(lin.weight)).forward(f32(x)), f32(lin(x)), atol=1e-5)


@pytest.mark.parametrize("n,batch", [(1, 1), (8, 4), (128, 3), (257, 2)])
def test_layernorm_matches_torch(isa, n, batch):
    torch.manual_seed(n)
    ln = torch.nn.LayerNorm(n)
    with torch.no_grad():
        ln.weight.normal_()
        ln.bias.normal_()
    x = torch.randn(batch, n) * 3 + 1
    got = L.LayerNorm(f32(ln.weight), f32(ln.bias)).forward(f32(x))
    np.testing.assert_allclose(got, f32(ln(x)), atol=2e-5, rtol=1e-5)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "leaky_relu", "elu", "silu", "relu"])
def test_activations_match_torch(isa, name):
    x = torch.linspace(-20, 20, 4001)
    ref = {
        "tanh": torch.tanh, "sigmoid": torch.sigmoid, "leaky_relu": lambda v: torch.nn.functional.leaky_relu(v, 0.01),
        "elu": torch.nn.functional.elu, "silu": torch.nn.functional.silu, "relu": torch.relu,
    }[name](x.double())
    alpha = 1.0 if name == "elu" else 0.01
    got = L.activation(name, f32(x), alpha)
    np.testing.assert_allclose(got, ref.numpy(), atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("inp,hid,batch,T", [(2, 16, 1, 20), (16, 64, 4, 12), (7, 33, 3, 10), (2, 128, 8, 5), (5, 9, 32, 4)])
def test_gru_matches_torch_stepwise_and_batched(isa, inp, hid, batch, T):
    torch.manual_seed(inp * 7 + hid)
    gru = torch.nn.GRU(inp, hid)
    x = torch.randn(T, batch, inp) * 2
    ref, _ = gru(x)
    g = L.GRU(f32(gru.weight_ih_l0), f32(gru.weight_hh_l0), f32(gru.bias_ih_l0), f32(gru.bias_hh_l0), max_batch=batch)
    # Streamed in two calls: the state is kept between them.
    got = np.concatenate([g.forward(f32(x[: T // 2])), g.forward(f32(x[T // 2:]))])
    np.testing.assert_allclose(got, f32(ref), atol=2e-5)
    g.reset()
    np.testing.assert_allclose(g.forward(f32(x)), f32(ref), atol=2e-5)


def test_gru_voices_are_independent_and_resettable():
    torch.manual_seed(3)
    gru = torch.nn.GRU(3, 10)
    w = [f32(p) for p in (gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0)]
    g = L.GRU(*w, max_batch=4)
    x = np.random.default_rng(0).standard_normal((6, 4, 3)).astype(np.float32)
    g.forward(x)
    h = g.hidden.copy()
    g.reset_voice(2)
    h2 = g.hidden
    assert np.all(h2[2] == 0) and np.array_equal(h2[[0, 1, 3]], h[[0, 1, 3]])
    # Voice 0 alone (batch 1) equals voice 0 of the batched run.
    single = L.GRU(*w, max_batch=1)
    np.testing.assert_allclose(single.forward(x[:, :1]), g.__class__(*w, max_batch=4).forward(x)[:, :1], atol=1e-6)


def test_gru_state_survives_nan_input():
    torch.manual_seed(4)
    gru = torch.nn.GRU(2, 8)
    g = L.GRU(f32(gru.weight_ih_l0), f32(gru.weight_hh_l0), f32(gru.bias_ih_l0), f32(gru.bias_hh_l0))
    bad = np.array([[[np.nan, np.inf]]], dtype=np.float32)
    out = g.forward(np.repeat(bad, 3, axis=0))
    assert np.all(np.isfinite(out)) and np.all(np.abs(out) <= 1)
    out = g.forward(np.zeros((50, 1, 2), np.float32))
    assert np.all(np.isfinite(out))


def test_bad_shapes_raise():
    with pytest.raises(ValueError):
        L.Linear(np.zeros((3, 4), np.float32), np.zeros(5, np.float32))
    lin = L.Linear(np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError):
        lin.forward(np.zeros((2, 5), np.float32))
