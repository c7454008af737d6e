"""librosa's pYIN with its Viterbi decoding done exactly, and about twenty times faster.

Every f0 error in rt_synth.eval is measured with librosa.pyin (fmin 65 Hz, fmax 2100 Hz,
frame 4096, hop 512 at 48 kHz: 602 pitch bins, 1 204 HMM states). librosa decodes the HMM
with a dense Viterbi: for each frame and each state, the maximum over all 1 204 predecessors,
1.45 M additions per frame; that is 85 % of pYIN's time (about 0.7 s per second of audio on
this machine), which would make the f0 columns of a held-out evaluation cost minutes.

pYIN's transition matrix is sparse: a state is reached with a non-zero probability only from
the 2 x 51 states within 5 semitones (in either voicing block); from every other state the
log transition is the same constant, log(eps) (librosa adds eps = tiny(prob) before the log).
So, per frame and state j, the best predecessor is the best of

    the non-zero band     value[i] + log_trans[i, j] over the <= 102 i with transition[i, j] > 0
    the rest              value[i] + log(eps) over every other i: this is the frame's overall
                          best state g (when transition[g, j] == 0), otherwise the best over
                          the zero entries of column j, computed for those few columns only

with the same floating-point sums as librosa (value[i] + log_trans[i, j], float64) and the same
tie rule (np.argmax: the first index). The decoded states are therefore identical, not merely
close; tests/eval/test_pyin.py checks it against librosa's own decoder on tones, a violin
phrase, noise and silence. pyin_track() swaps this decoder into librosa.pyin for the duration
of the call; a transition matrix that is not sparse enough falls back to librosa's decoder.
"""
from __future__ import annotations

import contextlib
import threading

import numpy as np

# Settings of every f0 error in rt_synth.eval (docs/timbre-distance.md).
FMIN = 65.0
FMAX = 2100.0
FRAME_LENGTH = 4096
HOP_LENGTH = 512
MAX_DENSITY = 0.25  # decode densely when a column has more non-zero transitions than this share

_PATCH_LOCK = threading.Lock()


def sparse_viterbi(log_prob: np.ndarray, transition: np.ndarray, log_trans: np.ndarray,
                   log_p_init: np.ndarray, log_eps: float) -> np.ndarray:
    """librosa.sequence._viterbi's states for log_prob [T, S] where log_trans[i, j] ==
    log_eps exactly wherever transition[i, j] == 0 (log(0 + eps))."""
    n_steps, n_states = log_prob.shape
    nz = transition > 0
    width = int(nz.sum(axis=0).max())
    # Column j's non-zero rows in ascending order, padded with row 0 at -inf (never chosen:
    # every state has at least one finite candidate).
    rows = np.zeros((n_states, width), dtype=np.int64)
    band = np.full((n_states, width), -np.inf)
    for j in range(n_states):
        r = np.flatnonzero(nz[:, j])
        rows[j, :r.size] = r
        band[j, :r.size] = log_trans[r, j]
    zero_in_row = [np.flatnonzero(nz[g]) for g in range(n_states)]  # columns where g is in the band

    ptr = np.zeros((n_steps, n_states), dtype=np.int64)
    value = log_prob[0] + log_p_init
    value = np.asarray(value, dtype=np.float64)
    cols = np.arange(n_states)
    for t in range(1, n_steps):
        cand = value[rows] + band                       # [S, width]: value[i] + log_trans[i, j]
        k = np.argmax(cand, axis=1)
        best_in = cand[cols, k]
        arg_in = rows[cols, k]
        far = value + log_eps                           # value[i] + log_trans[i, j] off the band
        g = int(np.argmax(far))
        best_far = np.full(n_states, far[g])
        arg_far = np.full(n_states, g, dtype=np.int64)
        special = zero_in_row[g]                        # columns whose band holds g
        if special.size:
            masked = np.where(nz[:, special].T, -np.inf, far[None, :])  # [len, S]
            a = np.argmax(masked, axis=1)
            best_far[special] = masked[np.arange(special.size), a]
            arg_far[special] = a
        # np.argmax over the whole column: the larger value, the lower index on a tie.
        take_far = (best_far > best_in) | ((best_far == best_in) & (arg_far < arg_in))
        ptr[t] = np.where(take_far, arg_far, arg_in)
        value = log_prob[t] + np.where(take_far, best_far, best_in)
    state = np.zeros(n_steps, dtype=np.int64)
    state[-1] = int(np.argmax(value))
    for t in range(n_steps - 2, -1, -1):
        state[t] = ptr[t + 1, state[t + 1]]
    return state


def _viterbi_replacement(original):
    """A drop-in for librosa.sequence.viterbi(prob [S, T], transition, p_init=...) that uses
    sparse_viterbi where it is exact and fast, and `original` otherwise."""
    from librosa.util import tiny

    def viterbi(prob, transition, *, p_init=None, return_logp=False):
        n_states = prob.shape[-2]
        density = (transition > 0).sum(axis=0).max() / n_states if n_states else 1.0
        if return_logp or density > MAX_DENSITY:
            return original(prob, transition, p_init=p_init, return_logp=return_logp)
        if p_init is None:
            p_init = np.full(n_states, 1.0 / n_states)
        epsilon = tiny(prob)
        log_trans = np.log(transition + epsilon)
        log_prob = np.log(prob + epsilon)
        log_p_init = np.log(p_init + epsilon)
        log_eps = float(np.log(0.0 + epsilon))
        lead = log_prob.shape[:-2]  # pyin passes [1, S, T]; each channel is decoded alone
        flat = log_prob.reshape((-1,) + log_prob.shape[-2:])
        states = np.stack([sparse_viterbi(lp.T, transition, log_trans, log_p_init, log_eps) for lp in flat])
        return states.reshape(lead + states.shape[-1:]).astype(np.uint16)  # librosa's dtype

    return viterbi


@contextlib.contextmanager
def fast_decoder():
    """librosa.pyin inside this block decodes with sparse_viterbi (identical states)."""
    import librosa.sequence as sequence

    with _PATCH_LOCK:
        original = sequence.viterbi
        sequence.viterbi = _viterbi_replacement(original)
        try:
            yield
        finally:
            sequence.viterbi = original


def pyin(audio: np.ndarray, sample_rate: int, fast: bool = True):
    """librosa.pyin(audio) at the settings above → (f0 Hz with NaN where unvoiced, voiced flags)."""
    import librosa

    ctx = fast_decoder() if fast else contextlib.nullcontext()
    with ctx:
        f, v, _ = librosa.pyin(np.asarray(audio, np.float32), fmin=FMIN, fmax=FMAX, sr=sample_rate,
                               frame_length=FRAME_LENGTH, hop_length=HOP_LENGTH)
    return f, v
