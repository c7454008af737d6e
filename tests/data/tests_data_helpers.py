"""Small helpers shared by the tests in tests/data (conftest puts this folder on sys.path)."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

needs_fluidsynth = pytest.mark.skipif(shutil.which("fluidsynth") is None,
                                     reason="fluidsynth not installed")


def cents(f: np.ndarray, ref: np.ndarray) -> np.ndarray:
    return 1200.0 * np.log2(np.asarray(f, np.float64) / np.asarray(ref, np.float64))


def stable_frames(gt: np.ndarray, radius: int, tolerance_cents: float = 60.0) -> np.ndarray:
    """Frames whose ground truth is voiced and within `tolerance_cents` of itself for
    ±radius frames (away from note changes, where analysis windows straddle two notes)."""
    ok = np.zeros(gt.shape[0], dtype=bool)
    for i in range(radius, gt.shape[0] - radius):
        w = gt[i - radius: i + radius + 1]
        if (w > 0).all() and np.abs(cents(w, gt[i])).max() < tolerance_cents:
            ok[i] = True
    return ok


SR = 48000


def tone(freq: float, seconds: float, sr: int, amp: float = 0.5, kind: str = "sine") -> np.ndarray:
    t = np.arange(int(round(seconds * sr))) / sr
    if kind == "saw":
        return (amp * (2.0 * ((freq * t) % 1.0) - 1.0)).astype(np.float32)
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def make_mixed_folder(folder) -> dict:
    """Good and bad files; returns {relative path: (f0 Hz, expected examples of 2 s)}."""
    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    sil = lambda s, sr: np.zeros(int(s * sr), np.float32)  # noqa: E731
    # 44.1 kHz stereo: 0.5 s silence, 2.5 s tone, 3 s silence (shortened to 1 s), 2 s tone,
    # 0.5 s silence → about 5.5 s kept → 2 examples (3 without the internal shortening).
    sr = 44100
    mono = np.concatenate([sil(0.5, sr), tone(220, 2.5, sr), sil(3.0, sr), tone(220, 2.0, sr),
                           sil(0.5, sr)])
    sf.write(folder / "stereo44k.wav", np.stack([mono, 0.8 * mono], axis=1), sr)
    (folder / "sub").mkdir(exist_ok=True)
    sf.write(folder / "sub" / "saw.flac", tone(330, 4.3, 48000, 0.4, "saw"), 48000)
    sf.write(folder / "vorbis.ogg", tone(440, 2.6, 22050, 0.5), 22050, format="OGG",
             subtype="VORBIS")
    (folder / "empty.wav").write_bytes(b"")
    (folder / "notes.wav").write_text("this is not audio\n" * 20)
    sf.write(folder / "short.wav", tone(300, 1.0, 48000), 48000)
    (folder / "README.txt").write_text("ignored")
    return {"stereo44k.wav": (220.0, 2), "sub/saw.flac": (330.0, 2), "vorbis.ogg": (440.0, 1)}
