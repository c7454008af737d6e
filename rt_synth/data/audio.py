"""Reading, mixing, resampling and silence trimming of user audio (see docs/data.md)."""
from __future__ import annotations

import functools
import re
from math import gcd
from pathlib import Path

import numpy as np

# Extensions of the containers libsndfile (through soundfile) reads, MP3 included (libsndfile
# >= 1.1 decodes MPEG layer III; the soundfile wheel bundles 1.2). A file is tried when its
# extension is one of these; a file libsndfile then cannot open is named and skipped.
# In the order messages list them (the commonest first).
_EXTENSIONS_BY_FORMAT = {
    "WAV": (".wav",), "WAVEX": (".wav",), "FLAC": (".flac",), "OGG": (".ogg", ".oga", ".opus"),
    "MP3": (".mp3",), "AIFF": (".aif", ".aiff", ".aifc"), "AU": (".au", ".snd"), "CAF": (".caf",),
    "W64": (".w64",), "RF64": (".rf64",),
}
AUDIO_EXTENSIONS = tuple(dict.fromkeys(e for exts in _EXTENSIONS_BY_FORMAT.values() for e in exts))


@functools.lru_cache(maxsize=None)
def readable_extensions() -> tuple:
    """AUDIO_EXTENSIONS limited to the formats this machine's libsndfile reports (an old
    system libsndfile without MP3 support does not list MP3). Asked once per process."""
    try:
        import soundfile as sf

        formats = sf.available_formats()
    except Exception:  # pragma: no cover - soundfile is a base dependency
        return AUDIO_EXTENSIONS
    return tuple(dict.fromkeys(e for f, exts in _EXTENSIONS_BY_FORMAT.items() if f in formats for e in exts))


SILENCE_BLOCK_SECONDS = 0.01   # trimming decides per 10 ms block
EDGE_PAD_BLOCKS = 1            # keep one silent block before the first / after the last sound
DIGITAL_SILENCE = 1e-5         # peak below -100 dBFS: the file is silent


class RejectedFile(Exception):
    """A file that cannot be used; the message is the reason, written for a person."""


def read_mono(path: Path) -> tuple:
    """→ (mono float32 audio, sample rate, channel count). Mono = mean of the channels."""
    import soundfile as sf

    if path.stat().st_size == 0:
        raise RejectedFile("empty file (0 bytes)")
    try:
        audio, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:  # libsndfile raises several types; all mean "not audio to us"
        msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        msg = re.sub(r"^Error opening .*?: ", "", msg).rstrip(".")
        raise RejectedFile(f"not readable as audio ({msg})") from exc
    if audio.shape[0] == 0:
        raise RejectedFile("no audio samples (0 frames)")
    channels = audio.shape[1]
    mono = audio.mean(axis=1) if channels > 1 else audio[:, 0]
    if not np.all(np.isfinite(mono)):
        mono = np.nan_to_num(mono, nan=0.0, posinf=0.0, neginf=0.0)
    return np.ascontiguousarray(mono, dtype=np.float32), int(sr), channels


def resample(audio: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Polyphase resampling by the exact rational ratio sr_out/sr_in (reduced by their gcd,
    e.g. 44.1 kHz → 48 kHz is up 160, down 147), scipy's default Kaiser-windowed FIR."""
    if sr_in == sr_out:
        return audio
    from scipy.signal import resample_poly

    g = gcd(sr_in, sr_out)
    return resample_poly(audio, sr_out // g, sr_in // g).astype(np.float32)


def trim_silence(audio: np.ndarray, sample_rate: int, silence_db: float = -60.0,
                 max_silence: float = 1.0) -> np.ndarray:
    """Drop leading and trailing silence and shorten internal silences to `max_silence`.

    A 10 ms block is silent when its RMS is below `silence_db` relative to the file's peak
    sample (so the threshold follows the recording's level, not an absolute one). One silent
    block is kept at each edge so onsets and decays are not cut. An internal silent run longer
    than `max_silence` keeps its first and last max_silence/2 (the decay and the lead-in) and
    loses the middle; the join lies in silence, so it makes no click. Returns a new array
    (empty if everything is silent).
    """
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak < DIGITAL_SILENCE:
        return audio[:0]
    block = max(1, int(round(SILENCE_BLOCK_SECONDS * sample_rate)))
    n_blocks = -(-audio.shape[0] // block)
    padded = np.zeros(n_blocks * block, dtype=np.float64)
    padded[: audio.shape[0]] = audio
    rms = np.sqrt(np.mean(padded.reshape(n_blocks, block) ** 2, axis=1))
    loud = rms > peak * 10.0 ** (silence_db / 20.0)
    if not loud.any():
        return audio[:0]
    idx = np.nonzero(loud)[0]
    first = max(0, idx[0] - EDGE_PAD_BLOCKS)
    last = min(n_blocks - 1, idx[-1] + EDGE_PAD_BLOCKS)
    keep = np.zeros(n_blocks, dtype=bool)
    keep[first:last + 1] = True
    half = max(1, int(round(max_silence / 2 / SILENCE_BLOCK_SECONDS)))
    # Runs of silent blocks strictly inside [first, last].
    silent = ~loud & keep
    edges = np.diff(np.concatenate([[0], silent.astype(np.int8), [0]]))
    for start, stop in zip(np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]):
        if start <= first or stop > last:  # the edge pads themselves
            continue
        if stop - start > 2 * half:
            keep[start + half: stop - half] = False
    sample_keep = np.repeat(keep, block)[: audio.shape[0]]
    return np.ascontiguousarray(audio[sample_keep])


def is_audio_path(path: Path) -> bool:
    return path.suffix.lower() in readable_extensions()
