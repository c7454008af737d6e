"""Pictures a person would rather look at than read: spectrograms and loss curves."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def _spectrogram_db(audio: np.ndarray, n_fft: int = 2048, hop: int = 512) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float64)
    if len(audio) < n_fft:
        audio = np.pad(audio, (0, n_fft - len(audio)))
    n = 1 + (len(audio) - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(n)[:, None]
    frames = audio[idx] * np.hanning(n_fft)[None, :]
    mag = np.abs(np.fft.rfft(frames, axis=-1)).T
    return 20 * np.log10(mag + 1e-6)


def save_spectrograms(path: Path, signals: dict[str, np.ndarray], sample_rate: int,
                      title: str = "") -> Path:
    """One spectrogram per named signal, side by side (e.g. target | reconstruction)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, len(signals), figsize=(5 * len(signals), 4), squeeze=False)
    for ax, (name, sig) in zip(axes[0], signals.items()):
        spec = _spectrogram_db(sig)
        vmax = spec.max()
        dur = len(sig) / sample_rate
        ax.imshow(spec, origin="lower", aspect="auto", vmin=vmax - 80, vmax=vmax,
                  extent=[0, dur, 0, sample_rate / 2000], cmap="magma")
        ax.set_title(name)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("frequency (kHz)")
        ax.set_ylim(0, min(12, sample_rate / 2000))
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def save_loss_curve(path: Path, history: dict[str, list[tuple[int, float]]]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, pts in history.items():
        if pts:
            s, v = zip(*pts)
            ax.plot(s, v, label=name)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    if ax.lines:  # an interrupted run may have no point yet
        ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path
