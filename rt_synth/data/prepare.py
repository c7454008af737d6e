"""``rt-synth data prepare``: a folder of audio → a dataset training reads without decoding.

Two passes, file by file (never the whole folder in memory):

1. scan: read each audio file libsndfile reads (WAV, FLAC, OGG/Opus, MP3, AIFF, ...), mix to mono, resample, trim silence, count its examples.
   Unusable files get a warning naming the file and the reason and are skipped.
2. write: preallocate the memmaps, then per file cut the examples, compute f0/periodicity
   (YIN) and A-weighted loudness on the continuous trimmed signal (so the first frames of an
   example see the real audio before it, as a streaming analysis would), and store them.

Layout (all float32, C order, raw little-endian, shapes in dataset.json)::

    DATASET/dataset.json
    DATASET/train/audio.f32        [N, T]   T = example_samples
    DATASET/train/f0.f32           [N, F]   Hz, F = T // hop
    DATASET/train/periodicity.f32  [N, F]   0..1 (1 = clearly periodic)
    DATASET/train/loudness.f32     [N, F]   dB, A-weighted
    DATASET/valid/...              same, for validation
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from rt_synth.errors import UserError
from rt_synth.data.audio import (AUDIO_EXTENSIONS, RejectedFile, is_audio_path, read_mono,
                                 resample, trim_silence)

FORMAT = "rt-synth-dataset"
VERSION = 1
ARRAYS = ("audio", "f0", "periodicity", "loudness")
SPLITS = ("train", "valid")
VOICED_PERIODICITY = 0.5       # frames above count as voiced for the f0 statistics
FEATURE_CONTEXT_SAMPLES = 8192  # audio before a chunk given to the (causal) analysers
CHUNK_SECONDS = 60.0           # features computed per ~minute of audio
CACHE_BYTES = 256 << 20        # trimmed audio kept from pass 1 to skip decoding again
MIN_FILES_FOR_FILE_SPLIT = 2


def _warn(msg: str) -> None:
    from tqdm import tqdm

    tqdm.write(f"warning: {msg}", file=sys.stderr)


def _load(path: Path, sample_rate: int, silence_db: float, max_silence: float) -> tuple:
    audio, sr, channels = read_mono(path)
    seconds_in = audio.shape[0] / sr
    peak = float(np.max(np.abs(audio)))
    if peak < 1e-5:
        raise RejectedFile("silent (every sample is zero)" if peak == 0.0 else
                           f"silent (peak {20 * np.log10(peak):.0f} dBFS)")
    audio = resample(audio, sr, sample_rate)
    audio = trim_silence(audio, sample_rate, silence_db, max_silence)
    return audio, {"sample_rate_in": sr, "channels": channels, "seconds_in": round(seconds_in, 3),
                   "seconds_kept": round(audio.shape[0] / sample_rate, 3)}


def _split_key(rel: str) -> str:
    return hashlib.sha1(rel.encode("utf-8")).hexdigest()


def choose_split(files: list, valid_fraction: float) -> tuple:
    """files: [(relative path, n_examples)] → (mode, {rel: n_valid}) where each file gives
    its LAST n_valid examples to validation.

    By file when possible (validation = recordings never seen in training): files are taken
    in a fixed pseudo-random order (sha1 of the relative path, so adding files elsewhere does
    not reshuffle) while they fit in 1.5× the target count; accepted if this reaches at least
    half the target and leaves training material. Otherwise by example: each file gives its
    last ~valid_fraction of examples (a contiguous block, less leakage than every k-th one).
    """
    total = sum(n for _, n in files)
    if valid_fraction <= 0 or total < 2:
        return "none", {rel: 0 for rel, _ in files}
    target = min(total - 1, max(1, int(round(valid_fraction * total))))
    if len(files) >= MIN_FILES_FOR_FILE_SPLIT:
        chosen, count = {}, 0
        for rel, n in sorted(files, key=lambda f: _split_key(f[0])):
            if count < target and count + n <= max(1, int(round(1.5 * target))):
                chosen[rel] = n
                count += n
        if count >= max(1, target // 2) and count < total:
            return "by_file", {rel: chosen.get(rel, 0) for rel, _ in files}
    out, cum, given = {}, 0, 0
    for rel, n in files:
        cum += n
        want = int(round(target * cum / total)) - given
        out[rel] = min(n, max(0, want))
        given += out[rel]
    return "by_example", out


class _Stats:
    def __init__(self):
        self.f0 = np.zeros(3)   # count, sum, sum of squares (MIDI, voiced frames)
        self.ld = np.zeros(3)
        self.ld_min, self.ld_max = np.inf, -np.inf
        self.frames = 0

    def add(self, f0: np.ndarray, per: np.ndarray, ld: np.ndarray) -> None:
        voiced = (per > VOICED_PERIODICITY) & (f0 > 0)
        midi = 69.0 + 12.0 * np.log2(f0[voiced].astype(np.float64) / 440.0)
        self.f0 += [midi.size, midi.sum(), (midi ** 2).sum()]
        ld = ld.astype(np.float64)
        self.ld += [ld.size, ld.sum(), (ld ** 2).sum()]
        if ld.size:
            self.ld_min, self.ld_max = min(self.ld_min, ld.min()), max(self.ld_max, ld.max())
        self.frames += f0.size

    @staticmethod
    def _mean_std(acc) -> tuple:
        n, s, ss = acc
        mean = s / n
        return float(mean), float(np.sqrt(max(ss / n - mean ** 2, 0.0)))

    def result(self) -> dict:
        out = {"voiced_periodicity_threshold": VOICED_PERIODICITY}
        if self.f0[0] >= 2:
            mean, std = self._mean_std(self.f0)
            out.update(f0_midi_mean=mean, f0_midi_std=max(std, 1.0),
                       voiced_fraction=float(self.f0[0] / max(1, self.frames)))
        else:
            _warn("no voiced frames (periodicity > 0.5) found: f0 statistics default to "
                  "MIDI 60 ± 12; is this pitched material?")
            out.update(f0_midi_mean=60.0, f0_midi_std=12.0, voiced_fraction=0.0)
        if self.ld[0] >= 1:
            mean, std = self._mean_std(self.ld)
            out.update(loudness_mean=mean, loudness_std=max(std, 1.0),
                       loudness_min=float(self.ld_min), loudness_max=float(self.ld_max))
        return out


def prepare_dataset(audio_dir: str | Path, out: str | Path, example_seconds: float = 2.0,
                    valid_fraction: float = 0.1, sample_rate: int = 48000, hop: int = 192,
                    silence_db: float = -60.0, max_silence: float = 1.0,
                    progress: bool = True) -> dict:
    """Prepare AUDIO_DIR into OUT; returns the dataset info (also OUT/dataset.json)."""
    from tqdm import tqdm

    from rt_synth.dsp.loudness import a_weighted_loudness
    from rt_synth.dsp.yin import yin_track

    audio_dir, out = Path(audio_dir), Path(out)
    if not audio_dir.is_dir():
        raise UserError(f"{audio_dir} is not a folder: give the folder that holds your audio files")
    if sample_rate <= 0 or hop <= 0:
        raise UserError("--sample-rate and --hop must be positive")
    if not 0.0 <= valid_fraction < 1.0:
        raise UserError(f"--valid-fraction must be in [0, 1), got {valid_fraction}")
    example_samples = int(example_seconds * sample_rate) // hop * hop
    if example_samples < hop:
        raise UserError(f"--example-seconds {example_seconds} is shorter than one hop "
                        f"({hop} samples at {sample_rate} Hz)")
    frames = example_samples // hop
    out_resolved = out.resolve()

    all_files = sorted(p for p in audio_dir.rglob("*") if p.is_file()
                       and out_resolved not in p.resolve().parents)
    candidates = [p for p in all_files if is_audio_path(p)]
    others = Counter(p.suffix.lower() or "(no extension)" for p in all_files
                     if not is_audio_path(p))

    # ---- pass 1: scan -------------------------------------------------------------------
    usable, rejected, cache, cached_bytes = [], [], {}, 0
    for path in tqdm(candidates, desc="scan", unit="file", disable=not progress,
                     file=sys.stderr):
        rel = path.relative_to(audio_dir).as_posix()
        try:
            audio, meta = _load(path, sample_rate, silence_db, max_silence)
            n = audio.shape[0] // example_samples
            if n == 0:
                raise RejectedFile(
                    f"too short: {audio.shape[0] / sample_rate:.2f} s of non-silent audio, "
                    f"one example needs {example_samples / sample_rate:.2f} s")
        except RejectedFile as exc:
            rejected.append({"path": rel, "reason": str(exc)})
            _warn(f"{path}: {exc}; skipped")
            continue
        except OSError as exc:
            rejected.append({"path": rel, "reason": f"cannot be read ({exc.strerror or exc})"})
            _warn(f"{path}: cannot be read ({exc.strerror or exc}); skipped")
            continue
        usable.append({"path": rel, "examples": n, **meta})
        if cached_bytes + audio.nbytes <= CACHE_BYTES:
            cache[rel] = audio
            cached_bytes += audio.nbytes

    if not usable:
        raise UserError(_nothing_usable_message(audio_dir, all_files, candidates, others,
                                                rejected, example_samples / sample_rate))

    mode, n_valid = choose_split([(u["path"], u["examples"]) for u in usable], valid_fraction)
    counts = {"train": 0, "valid": 0}
    for u in usable:
        u["valid_examples"] = n_valid[u["path"]]
        u["train_examples"] = u["examples"] - u["valid_examples"]
        u["split"] = ("valid" if u["train_examples"] == 0 else
                      "train" if u["valid_examples"] == 0 else "train+valid")
        counts["train"] += u["train_examples"]
        counts["valid"] += u["valid_examples"]

    # ---- pass 2: write ------------------------------------------------------------------
    _clear_output(out)
    arrays = {}
    for split in SPLITS:
        (out / split).mkdir(parents=True, exist_ok=True)
        for name in ARRAYS:
            width = example_samples if name == "audio" else frames
            arrays[split, name] = _create_array(out / split / f"{name}.f32",
                                                (counts[split], width))
    stats = _Stats()
    row = {"train": 0, "valid": 0}
    context = -(-FEATURE_CONTEXT_SAMPLES // hop) * hop
    chunk = max(1, int(CHUNK_SECONDS * sample_rate) // example_samples)
    bar = tqdm(total=counts["train"] + counts["valid"], desc="features", unit="ex",
               disable=not progress, file=sys.stderr)
    for u in usable:
        audio = cache.pop(u["path"], None)
        if audio is None:
            audio, _ = _load(audio_dir / u["path"], sample_rate, silence_db, max_silence)
        n = u["examples"]
        for a in range(0, n, chunk):
            b = min(n, a + chunk)
            start = a * example_samples
            c = min(start, context)
            seg = np.ascontiguousarray(audio[start - c: b * example_samples])
            f0, per = yin_track(seg, sample_rate=sample_rate, hop=hop)
            ld = a_weighted_loudness(seg, sample_rate=sample_rate, hop=hop)
            skip = c // hop
            f0 = np.asarray(f0, np.float32)[skip:].reshape(b - a, frames)
            per = np.asarray(per, np.float32)[skip:].reshape(b - a, frames)
            ld = np.asarray(ld, np.float32)[skip:].reshape(b - a, frames)
            clips = seg[c:].reshape(b - a, example_samples)
            for k in range(b - a):
                split = "train" if a + k < u["train_examples"] else "valid"
                r = row[split]
                arrays[split, "audio"][r] = clips[k]
                arrays[split, "f0"][r] = f0[k]
                arrays[split, "periodicity"][r] = per[k]
                arrays[split, "loudness"][r] = ld[k]
                row[split] += 1
                if split == "train":
                    stats.add(f0[k], per[k], ld[k])
            bar.update(b - a)
        del audio
    bar.close()
    if counts["train"] == 0:  # cannot happen with choose_split; keep the stats meaningful
        raise UserError("no training examples were produced")
    for arr in arrays.values():
        if arr is not None:
            arr.flush()
    del arrays

    info = {
        "format": FORMAT, "version": VERSION,
        "sample_rate": sample_rate, "hop": hop,
        "example_samples": example_samples, "example_frames": frames,
        "dtype": "float32", "arrays": {n: f"{n}.f32" for n in ARRAYS},
        "shapes": {s: {n: [counts[s], example_samples if n == "audio" else frames]
                       for n in ARRAYS} for s in SPLITS},
        "counts": counts, "split": {"mode": mode, "valid_fraction": valid_fraction},
        "stats": stats.result(),
        "frame_convention": "frame i = analysis window ending at sample (i+1)*hop of the "
                            "example (causal); f0 in Hz, loudness in dB (A-weighted)",
        "features": {"f0": "rt_synth.dsp.yin.yin_track", "loudness":
                     "rt_synth.dsp.loudness.a_weighted_loudness"},
        "preprocessing": {"mono": "mean of channels", "resample": "scipy.signal.resample_poly",
                          "silence_db": silence_db, "max_silence_seconds": max_silence,
                          "silence_block_seconds": 0.01},
        "source_dir": str(audio_dir.resolve()),
        "sources": usable, "rejected": rejected,
        "ignored": {ext: n for ext, n in sorted(others.items())},
    }
    (out / "dataset.json").write_text(json.dumps(info, indent=2))
    return info


def _create_array(path: Path, shape: tuple):
    """A float32 memmap of `shape`; an empty file (no mapping) when it has no rows."""
    if shape[0] == 0:
        path.write_bytes(b"")
        return None
    return np.memmap(path, dtype="<f4", mode="w+", shape=shape)


def _clear_output(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not (out / "dataset.json").is_file() and not all(
                (out / s).is_dir() for s in SPLITS):
            raise UserError(f"--out {out} exists, is not empty and is not a prepared dataset: "
                            f"choose a new folder (or empty it)")
        (out / "dataset.json").unlink(missing_ok=True)  # first: a half-written set is no set
        for split in SPLITS:
            if (out / split).is_dir():
                shutil.rmtree(out / split)
    out.mkdir(parents=True, exist_ok=True)


def _nothing_usable_message(audio_dir: Path, all_files: list, candidates: list, others: Counter,
                            rejected: list, example_seconds: float) -> str:
    kinds = Counter(p.suffix.lower() for p in candidates)
    found = (", ".join(f"{n} {ext}" for ext, n in sorted(kinds.items())) or "no audio files")
    lines = [f"no usable audio in {audio_dir}: found {len(all_files)} file(s), "
             f"{len(candidates)} with an audio extension ({found})"]
    if others:
        lines.append("  ignored (extension not audio): " +
                     ", ".join(f"{n} {ext}" for ext, n in others.most_common(8)))
    if rejected:
        by_kind = Counter(r["reason"].split(" (")[0].split(":")[0] for r in rejected)
        lines.append("  rejected: " + ", ".join(f"{n} {k}" for k, n in by_kind.most_common()))
        for r in rejected[:10]:
            lines.append(f"    {r['path']}: {r['reason']}")
        if len(rejected) > 10:
            lines.append(f"    ... and {len(rejected) - 10} more")
    lines.append("needed: at least one audio file (" + ", ".join(
                 e.lstrip(".").upper() for e in AUDIO_EXTENSIONS[:6]) + f", ...) with ≥ "
                 f"{example_seconds:.2f} s of non-silent audio (or lower --example-seconds)")
    return "\n".join(lines)


def skipped_summary(info: dict) -> str:
    """One line: what prepare skipped and why, by reason ("" when nothing was skipped)."""
    parts = []
    ignored = info.get("ignored", {})
    if ignored:
        n = sum(ignored.values())
        parts.append(f"{n} not audio by extension (" + ", ".join(
            f"{c} {e}" for e, c in sorted(ignored.items(), key=lambda kv: -kv[1])[:5]) + ")")
    reasons = Counter()
    for r in info.get("rejected", []):
        reason = r["reason"]
        reasons["too short" if reason.startswith("too short") else
                "silent" if "silent" in reason or "silence" in reason else
                "empty" if reason.startswith(("empty", "no audio samples")) else
                "unreadable"] += 1
    parts += [f"{n} {why}" for why, n in reasons.most_common()]
    if not parts:
        return ""
    total = sum(ignored.values()) + len(info.get("rejected", []))
    return f"skipped {total} file(s): " + ", ".join(parts)
