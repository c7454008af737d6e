"""rt_synth.eval.pyin: the sparse Viterbi decodes exactly the states librosa's dense one does
(so every f0 error is librosa pYIN's), and librosa is left as it was."""
from __future__ import annotations

import numpy as np
import pytest

from rt_synth.eval.pyin import fast_decoder, pyin

SR = 48000


def _leaps_silence_noise(seconds: float = 1.2) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    semis = np.array([0, 7, -5, 12, 3, 19, 0, -12])[(t * 6).astype(int) % 8]  # leaps of up to 19 semitones
    f = 330.0 * 2 ** (semis / 12)
    x = 0.2 * np.sin(2 * np.pi * np.cumsum(f) / SR)
    q = len(x) // 8
    x[2 * q:3 * q] = 0.0                                             # digital silence
    x[5 * q:6 * q] = 0.05 * np.random.default_rng(0).standard_normal(q)  # noise
    return x.astype(np.float32)


def _violin_phrase() -> np.ndarray:
    from rt_synth.data.render import generate_phrases, render_phrases

    ph = generate_phrases(40, 1.5, 9137, SR)[0]
    return render_phrases([ph], sample_rate=SR)[0]


@pytest.mark.parametrize("signal", ["leaps", "violin", "silence"])
def test_fast_decoder_equals_librosa(signal):
    x = {"leaps": _leaps_silence_noise, "violin": _violin_phrase,
         "silence": lambda: np.zeros(SR, np.float32)}[signal]()
    f_ref, v_ref = pyin(x, SR, fast=False)
    f, v = pyin(x, SR, fast=True)
    assert np.array_equal(v, v_ref)
    assert np.array_equal(np.isnan(f), np.isnan(f_ref))
    assert np.array_equal(f[~np.isnan(f)], f_ref[~np.isnan(f_ref)])
    if signal != "silence":
        assert v.mean() > 0.3  # a real test: many voiced frames, several pitches


def test_fast_decoder_is_used_and_removed():
    import librosa.sequence as sequence

    original = sequence.viterbi
    calls = []
    with fast_decoder():
        patched = sequence.viterbi
        assert patched is not original

        def spy(*a, **k):
            calls.append(1)
            return patched(*a, **k)

        sequence.viterbi = spy
        try:
            pyin(_leaps_silence_noise(0.5), SR, fast=False)  # librosa.pyin looks the decoder up per call
        finally:
            sequence.viterbi = patched
    assert calls and sequence.viterbi is original


def test_dense_transition_falls_back_to_librosa():
    from librosa.sequence import viterbi

    from rt_synth.eval.pyin import _viterbi_replacement

    rng = np.random.default_rng(1)
    prob = rng.random((6, 40))
    trans = rng.random((6, 6))
    trans /= trans.sum(axis=1, keepdims=True)
    assert np.array_equal(_viterbi_replacement(viterbi)(prob, trans), viterbi(prob, trans))


def test_sparse_viterbi_equals_dense_on_a_random_banded_hmm():
    """Random banded transitions and sparse observations (many exact zeros, so the log(eps)
    jumps and ties of the dense decoder are exercised)."""
    from librosa.sequence import viterbi
    from librosa.util import tiny

    from rt_synth.eval.pyin import sparse_viterbi

    rng = np.random.default_rng(2)
    n = 60
    band = np.abs(np.subtract.outer(np.arange(n), np.arange(n))) <= 3
    trans = np.where(band, rng.random((n, n)), 0.0)
    trans /= trans.sum(axis=1, keepdims=True)
    prob = np.where(rng.random((n, 200)) < 0.1, rng.random((n, 200)), 0.0)
    eps = tiny(prob)
    states = sparse_viterbi(np.log(prob + eps).T, trans, np.log(trans + eps), np.log(np.full(n, 1 / n) + eps),
                            float(np.log(eps)))
    assert np.array_equal(states, viterbi(prob, trans))
