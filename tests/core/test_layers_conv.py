"""Streaming convolutions against torch.nn, offline and cut into random blocks.

CachedConv1d == Conv1d on the causally left-padded input ((k-1)*d zeros), any stride:
streaming output concatenated over blocks equals the offline output exactly (delay 0).
CachedConvTranspose1d == ConvTranspose1d(x)[..., :T*stride] (the tail belongs to later input)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from rt_synth import _core  # noqa: E402

L = _core.layers
ISAS = ["portable"] + (["avx2"] if L.set_isa("avx2") else [])
L.set_isa(ISAS[-1])


@pytest.fixture(params=ISAS)
def isa(request):
    assert L.set_isa(request.param)
    yield request.param
    L.set_isa(ISAS[-1])


def f32(t):
    return np.ascontiguousarray(t.detach().numpy().astype(np.float32))


def random_blocks(rng, total, max_block):
    sizes, left = [], total
    while left > 0:
        n = int(min(left, rng.choice([1, 1, 2, 3, 5, 7, int(rng.integers(1, max_block + 1))])))
        sizes.append(n)
        left -= n
    return sizes


def stream(layer, x, sizes):
    outs, pos = [], 0
    for n in sizes:
        outs.append(layer.process(np.ascontiguousarray(x[:, pos:pos + n])))
        pos += n
    return np.concatenate(outs, axis=1)


CONV_CASES = [  # cin, cout, k, stride, dilation
    (1, 1, 1, 1, 1), (3, 5, 3, 1, 1), (4, 6, 3, 1, 8), (2, 3, 5, 2, 1), (3, 4, 4, 3, 2),
    (8, 8, 7, 4, 1), (16, 24, 3, 1, 3), (5, 2, 2, 5, 1), (64, 64, 3, 1, 8),
]


@pytest.mark.parametrize("cin,cout,k,s,d", CONV_CASES)
def test_cached_conv1d_matches_torch_offline_and_streaming(isa, cin, cout, k, s, d):
    torch.manual_seed(cin * 100 + k * 10 + s + d)
    conv = torch.nn.Conv1d(cin, cout, k, stride=s, dilation=d)
    T = 97
    x = torch.randn(1, cin, T)
    ref = f32(conv(torch.nn.functional.pad(x, ((k - 1) * d, 0))))[0]
    xn = f32(x)[0]
    layer = L.CachedConv1d(f32(conv.weight), f32(conv.bias), stride=s, dilation=d, max_block=64)
    assert layer.latency == 0
    offline = stream(layer, xn, [64, T - 64])
    np.testing.assert_allclose(offline, ref, atol=1e-5, rtol=1e-5)
    rng = np.random.default_rng(k * 31 + s)
    for _ in range(3):
        layer.reset()
        got = stream(layer, xn, random_blocks(rng, T, 64))
        assert got.shape == ref.shape
        np.testing.assert_allclose(got, ref, atol=1e-5, rtol=1e-5)
        # Block-size independence is exact up to float summation order (same GEMM rows).
        np.testing.assert_allclose(got, offline, atol=1e-6)


def test_cached_conv1d_every_block_size_one():
    torch.manual_seed(0)
    conv = torch.nn.Conv1d(3, 2, 4, stride=3, dilation=2, bias=False)
    x = torch.randn(1, 3, 40)
    ref = f32(conv(torch.nn.functional.pad(x, (6, 0))))[0]
    layer = L.CachedConv1d(f32(conv.weight), None, stride=3, dilation=2, max_block=1)
    got = stream(layer, f32(x)[0], [1] * 40)
    np.testing.assert_allclose(got, ref, atol=1e-5)


TCASES = [  # cin, cout, k, stride
    (1, 1, 1, 1), (3, 4, 4, 2), (2, 3, 3, 2), (4, 2, 8, 4), (5, 3, 7, 3), (2, 2, 2, 4), (16, 8, 16, 8), (6, 6, 3, 1),
]


@pytest.mark.parametrize("cin,cout,k,s", TCASES)
def test_cached_conv_transpose1d_matches_torch(isa, cin, cout, k, s):
    torch.manual_seed(cin * 10 + k + s)
    conv = torch.nn.ConvTranspose1d(cin, cout, k, stride=s)
    T = 53
    x = torch.randn(1, cin, T)
    # One extra zero frame makes the torch output at least T*s long even when k < s.
    ref = f32(conv(torch.cat([x, torch.zeros(1, cin, 1)], dim=2)))[0][:, : T * s]
    layer = L.CachedConvTranspose1d(f32(conv.weight), f32(conv.bias), stride=s, max_block=32)
    assert layer.latency == 0
    rng = np.random.default_rng(k + s)
    for sizes in ([32, T - 32], [1] * T, random_blocks(rng, T, 32)):
        layer.reset()
        got = stream(layer, f32(x)[0], sizes)
        assert got.shape == ref.shape
        np.testing.assert_allclose(got, ref, atol=1e-5, rtol=1e-5)


def test_conv_rejects_oversized_block_and_bad_shapes():
    layer = L.CachedConv1d(np.zeros((2, 3, 3), np.float32), max_block=8)
    with pytest.raises(ValueError):
        layer.process(np.zeros((3, 9), np.float32))
    with pytest.raises(ValueError):
        layer.process(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError):
        L.CachedConv1d(np.zeros((2, 3, 3), np.float32), np.zeros(3, np.float32))
