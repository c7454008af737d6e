import numpy as np
import torch

from rt_synth.dsp.prng import counter_noise, counter_noise_torch

_M = (1 << 64) - 1


def _reference(n, seed):
    """Scalar splitmix64 with Python integers (docs/ddsp-maths.md §4)."""
    z = (seed + (n + 1) * 0x9E3779B97F4A7C15) & _M
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M
    z = z ^ (z >> 31)
    return (z >> 40) * 2.0 ** -23 - 1.0


def test_matches_scalar_reference_bit_exactly():
    for seed in (0, 7, 2 ** 63 + 5):
        u = counter_noise(50, seed=seed, start=1000)
        ref = np.array([_reference(1000 + i, seed) for i in range(50)], dtype=np.float32)
        assert u.dtype == np.float32
        assert np.array_equal(u, ref)
    # counter wrap-around near 2^64 behaves like uint64
    u = counter_noise(3, seed=1, start=2 ** 64 - 2)
    assert np.array_equal(u, np.array([_reference(2 ** 64 - 2 + i, 1) for i in range(3)], np.float32))


def test_statistics():
    u = counter_noise(1_000_000, seed=3)
    assert u.min() >= -1.0 and u.max() < 1.0
    assert abs(u.mean()) < 3e-3  # std of the mean: 0.58/1000
    assert abs(u.var() - 1.0 / 3.0) < 3e-3
    # no gross lag-1 correlation
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 5e-3


def test_deterministic_and_start_offset_consistent():
    a = counter_noise(10_000, seed=42)
    assert np.array_equal(a, counter_noise(10_000, seed=42))
    assert not np.array_equal(a, counter_noise(10_000, seed=43))
    pieces = np.concatenate([counter_noise(1234, 42, 0), counter_noise(5000, 42, 1234),
                             counter_noise(3766, 42, 6234)])
    assert np.array_equal(a, pieces)


def test_torch_helper():
    t = counter_noise_torch(100, seed=9, start=5, batch=2, dtype=torch.float64)
    assert t.shape == (2, 100) and t.dtype == torch.float64
    assert np.array_equal(t[1].numpy().astype(np.float32), counter_noise(100, 9, 5))
