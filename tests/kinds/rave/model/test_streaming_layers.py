"""Each cached layer, run block by block (random sizes incl. 0 and 1), equals its offline
form."""
import numpy as np
import pytest
import torch

from rt_synth.kinds.rave.model.streaming_layers import CachedConv1d, CachedConvTranspose1d


def blocks(total, rng, max_block=37):
    out, done = [], 0
    while done < total:
        n = int(min(total - done, rng.choice([0, 1, 1, 2, 3, rng.integers(1, max_block)])))
        out.append((done, done + n))
        done += n
    return out


@pytest.mark.parametrize("k,s,d", [(3, 1, 1), (3, 1, 9), (4, 2, 1), (7, 1, 1), (1, 1, 1),
                                   (5, 3, 2), (104, 8, 1), (4, 4, 1)])
def test_cached_conv1d_streaming_equals_offline(k, s, d):
    torch.manual_seed(k * 100 + s * 10 + d)
    layer = CachedConv1d(3, 5, k, stride=s, dilation=d).double()
    x = torch.randn(2, 3, 301, dtype=torch.float64)
    ref = layer(x)
    assert ref.shape[-1] == -(-301 // s)
    state = layer.initial_state(2, torch.float64)
    outs = []
    for a, b in blocks(301, np.random.default_rng(k + s + d)):
        y, state = layer.step(x[..., a:b], state)
        outs.append(y)
    y = torch.cat(outs, -1)
    assert y.shape == ref.shape
    assert torch.allclose(y, ref, atol=1e-12)


def test_cached_conv1d_is_causal():
    layer = CachedConv1d(1, 1, 5, stride=2, dilation=2).double()
    x = torch.zeros(1, 1, 64, dtype=torch.float64)
    x2 = x.clone()
    x2[..., 40] = 1.0
    diff = (layer(x2) - layer(x)).abs()[0, 0]
    assert diff[:20].max() == 0  # output t sees input <= 2t
    assert diff[20] > 0


@pytest.mark.parametrize("k,s", [(4, 2), (2, 2), (3, 2), (208, 16), (5, 3), (4, 4)])
def test_cached_conv_transpose1d_streaming_equals_offline(k, s):
    torch.manual_seed(k + s)
    layer = CachedConvTranspose1d(4, 3, k, s).double()
    x = torch.randn(2, 4, 97, dtype=torch.float64)
    ref = layer(x)
    assert ref.shape[-1] == 97 * s
    state = layer.initial_state(2, torch.float64)
    outs = []
    for a, b in blocks(97, np.random.default_rng(k * s)):
        y, state = layer.step(x[..., a:b], state)
        outs.append(y)
    assert torch.allclose(torch.cat(outs, -1), ref, atol=1e-12)


def test_fixed_blocks_keep_state_shape():
    conv = CachedConv1d(2, 2, 4, stride=2)
    st = conv.initial_state(1)
    for _ in range(5):
        _, st2 = conv.step(torch.randn(1, 2, 8), st)
        assert st2.shape == st.shape
        st = st2


def test_unsupported_geometries_are_refused():
    with pytest.raises(ValueError):
        CachedConv1d(1, 1, 2, stride=4)
    with pytest.raises(ValueError):
        CachedConvTranspose1d(1, 1, 1, 4)
