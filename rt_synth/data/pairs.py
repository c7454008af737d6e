"""Paired audio for effect models: a dry signal and what a device made of it, sample-aligned
(docs/effect-data.md).

Two ways in:
- reamping, as a guitarist does it: play the shipped test signal (``reamp_signal``: sweeps,
  noise bursts, chords, DI guitar) through the amp or pedal, record it, and give both files
  to ``align_recording``: the delay is found by cross-correlation and reported, gain and
  polarity are checked;
- rendering: dry phrases through a reference effect chain (``render_effect_pairs``, sox),
  for tests and the shipped demo model.

A pairs folder::

    PAIRS/pairs.json          sample rate, delay, gain, polarity, source, seconds per split
    PAIRS/train/input.wav     dry, float32 mono
    PAIRS/train/target.wav    wet, the same length, aligned to input sample for sample
    PAIRS/valid/...           the last valid_fraction of the audio, the same way

Pairs with knobs (a chain of KNOB_CHAINS, e.g. "overdrive-knobs"; docs/effect-models.md,
"Knobs"): each split's dry audio rendered at several knob settings, one after the other in
input.wav / target.wav, and PAIRS/SPLIT/knobs.json saying which: {"names": [...], "runs":
[{"start": sample, "length": samples, "values": [one per knob, in its units]}, ...]};
pairs.json's "knobs" lists each knob's name, min, max and default. load_pairs reads such a
folder as any other (the knobs ignored); load_pair_knobs gives its knobs.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from rt_synth.errors import UserError

SPLITS = ("train", "valid")
CLIP_LEVEL = 0.999  # |x| at or above this is a clipped sample
CLIP_FRACTION = 1e-3  # more clipped samples than this fraction: the recording is refused
SILENCE_DB = -60.0  # a signal whose RMS is below this (dBFS) is silence
MIN_CORRELATION = 0.1  # a normalised cross-correlation peak below this: the files do not match

# Reference effect chains for rendered pairs: sox effect arguments (sox(1)). "overdrive" is a
# tube-screamer-like drive: a mid hump before a soft clipper, highs tamed after it.
CHAINS = {
    "overdrive": ["highpass", "120", "equalizer", "720", "1.2q", "+6", "overdrive", "16", "10",
                  "lowpass", "5200", "gain", "-4"],
    "clean-eq": ["bass", "-4", "equalizer", "1500", "0.9q", "+4", "treble", "+2", "gain", "-6"],
}

# Chains with knobs: sox arguments as a function of the knob values, and the knobs' table.
# "overdrive-knobs": the overdrive's drive (sox overdrive gain, dB) and a treble shelf after it
# (tone, dB at 3 kHz), the level lowered so that the loudest setting stays under full scale.
OVERDRIVE_KNOBS = ({"name": "gain", "min": 5.0, "max": 30.0, "default": 16.0},
                   {"name": "tone", "min": -6.0, "max": 6.0, "default": 0.0})


def _overdrive_knobs(gain: float, tone: float) -> list:
    return ["highpass", "120", "equalizer", "720", "1.2q", "+6", "overdrive", f"{gain:.4f}", "10",
            "lowpass", "5200", "treble", f"{tone:+.4f}", "3000", "gain", "-8"]


KNOB_CHAINS = {
    "overdrive-knobs": {"knobs": OVERDRIVE_KNOBS, "sox": _overdrive_knobs},
}
DEFAULT_KNOB_SETTINGS = 4  # settings per split of a chain with knobs, unless told


@dataclass(frozen=True)
class Alignment:
    delay_samples: int  # the target lags the input by this many samples (the onset, see below)
    peak_samples: int  # the lag of the cross-correlation's peak
    gain_db: float  # RMS of the aligned target over the input's
    polarity: int  # +1, or -1 when the device (or the cable) inverts
    correlation: float  # peak of the normalised cross-correlation, 0..1


# ---- the reamp test signal ----

def _fade(x: np.ndarray, n: int) -> np.ndarray:
    n = min(n, len(x) // 2)
    if n > 0:
        w = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
        x[:n] *= w
        x[-n:] *= w[::-1]
    return x


def _sweep(sr: int, seconds: float, level_db: float) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    f0, f1 = 20.0, min(20000.0, 0.45 * sr)
    k = np.log(f1 / f0)
    phase = 2 * np.pi * f0 * seconds / k * (np.exp(t / seconds * k) - 1)
    return _fade(10 ** (level_db / 20) * np.sin(phase), int(0.01 * sr))


def _bursts(sr: int, rng: np.random.Generator) -> np.ndarray:
    out = []
    for level in (-30, -20, -12, -6):
        white = rng.uniform(-1, 1, int(0.4 * sr))
        # dark noise: integrated (brown, -6 dB/octave) minus its 64-sample moving average, so
        # it has no drift; weighted towards the low mids, unlike the white burst
        dark = np.cumsum(rng.standard_normal(int(0.4 * sr)))
        dark -= np.convolve(dark, np.ones(64) / 64, mode="same")
        dark /= np.max(np.abs(dark)) + 1e-12
        for burst in (white, dark):
            out += [_fade(10 ** (level / 20) * burst, int(0.005 * sr)), np.zeros(int(0.2 * sr))]
    return np.concatenate(out)


def _chords(sr: int, rng: np.random.Generator) -> np.ndarray:
    """Plucked-string chords (decaying harmonics) at guitar pitches and several levels."""
    shapes = ([40, 47, 52, 56, 59, 64], [45, 52, 57, 61, 64], [43, 47, 50, 55, 59, 67],
              [50, 57, 62, 66], [40, 47, 52, 55, 59, 64])
    out = []
    t = np.arange(int(1.5 * sr)) / sr
    for i, shape in enumerate(shapes):
        x = np.zeros_like(t)
        for j, note in enumerate(shape):
            f = 440.0 * 2 ** ((note - 69) / 12)
            onset = int(j * 0.012 * sr)  # a strum
            env = np.exp(-t * (2.0 + 0.002 * f))
            for h in range(1, 12):
                if h * f < 0.45 * sr:
                    x[onset:] += env[: len(t) - onset] * np.sin(2 * np.pi * h * f * t[: len(t) - onset]
                                                             + rng.uniform(0, 2 * np.pi)) / h ** 1.3
        x *= 10 ** ((-18 + 4 * i) / 20) / (np.max(np.abs(x)) + 1e-12)
        out += [_fade(x, int(0.003 * sr)), np.zeros(int(0.2 * sr))]
    return np.concatenate(out)


def _di_guitar(sr: int, seconds: float, seed: int) -> np.ndarray:
    """Phrases on FluidSynth's GM clean and jazz electric guitars, peaks at -6 dBFS, as a
    DI box would give them (docs/effect-data.md)."""
    from rt_synth.data.instruments import resolve_program
    from rt_synth.data.render import generate_phrases, render_phrases

    items = []
    for k, name in enumerate(("electric guitar clean", "electric guitar jazz")):
        items += generate_phrases(resolve_program(name), seconds / 2, seed + 101 * k, sr)
    audio = render_phrases(items, sample_rate=sr)
    x = np.concatenate([a for a in audio if a is not None]).astype(np.float64)
    return 0.5 * x / (np.max(np.abs(x)) + 1e-12)


def reamp_signal(sample_rate: int = 48000, seed: int = 0, guitar_seconds: float = 120.0) -> np.ndarray:
    """The test signal to play through a device: 0.5 s of silence, sine sweeps at -24/-12/-3
    dBFS, white and dark (drift-free brown) noise bursts at four levels, strummed chords, then `guitar_seconds`
    of DI guitar phrases. float32 mono, peak below 1."""
    rng = np.random.default_rng(seed)
    sr = int(sample_rate)
    parts = [np.zeros(sr // 2)]
    for level in (-24, -12, -3):
        parts += [_sweep(sr, 4.0, level), np.zeros(sr // 4)]
    parts += [_bursts(sr, rng), _chords(sr, rng)]
    if guitar_seconds > 0:
        parts.append(_di_guitar(sr, guitar_seconds, seed))
    parts.append(np.zeros(sr // 2))
    return np.concatenate(parts).astype(np.float32)


# ---- checks and alignment ----

def _rms_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-20))


def check_signal(x: np.ndarray, what: str) -> None:
    """Refuses silence, non-finite samples and clipping, naming `what` (a file)."""
    if x.size == 0:
        raise UserError(f"{what} is empty")
    if not np.all(np.isfinite(x)):
        raise UserError(f"{what} has NaN or infinite samples: record or export it again")
    level = _rms_db(x)
    if level < SILENCE_DB:
        raise UserError(f"{what} is silent (RMS {level:.1f} dBFS, below {SILENCE_DB:.0f}): check "
                        f"the cable and the recording level")
    clipped = int(np.count_nonzero(np.abs(x) >= CLIP_LEVEL))
    if clipped > CLIP_FRACTION * x.size:
        raise UserError(f"{what} clips: {clipped} samples ({100 * clipped / x.size:.2f} %) at full "
                        f"scale. Record it again about 6 dB quieter (a model cannot learn what "
                        f"the converter cut off)")


def find_alignment(dry: np.ndarray, wet: np.ndarray, sample_rate: int,
                   max_delay_s: float = 1.0) -> Alignment:
    """The lag (0..max_delay_s) at which `wet` starts to follow `dry`; polarity from the sign
    of the correlation there; gain from the aligned RMS.

    The lag comes from the phase-transform cross-correlation (GCC-PHAT: the cross-spectrum
    divided by its magnitude), whose peak is sharp, one or two samples wide, whatever the
    signal's spectrum: the plain correlation's main lobe is as wide as the test signal's
    lowest frequencies. A device's own filters still put the peak a sample or two after
    the true latency, and a target cut there would ask a causal model to answer before it
    hears: the delay taken is the onset of the peak, the earliest lag (at most 64 samples
    before it) from which the transform stays at or above half the peak."""
    dry = np.asarray(dry, np.float64)
    wet = np.asarray(wet, np.float64)
    max_lag = int(max_delay_s * sample_rate)
    size = 1 << int(np.ceil(np.log2(len(dry) + len(wet))))
    cross = np.fft.rfft(wet, size) * np.conj(np.fft.rfft(dry, size))
    mag = np.abs(cross)
    phat = np.fft.irfft(cross / (mag + 1e-9 * mag.max() + 1e-30), size)[: max_lag + 1]
    peak = int(np.argmax(np.abs(phat)))
    lag = peak
    while lag > 0 and peak - lag < 64 and abs(phat[lag - 1]) >= 0.5 * abs(phat[peak]):
        lag -= 1
    seg = wet[peak: peak + len(dry)]
    d = dry[: len(seg)]
    dot = float(np.dot(d, seg))
    corr = abs(dot) / (np.sqrt(np.dot(d, d) * np.dot(seg, seg)) + 1e-20)
    gain = _rms_db(seg) - _rms_db(d)
    return Alignment(lag, peak, float(gain), 1 if dot >= 0 else -1, float(corr))


def aligned_pair(dry: np.ndarray, wet: np.ndarray, sample_rate: int, names=("input", "target"),
                 max_delay_s: float = 1.0) -> tuple:
    """(dry, wet trimmed to dry's timeline, Alignment), after every check: errors name the
    files. The wet recording may be longer than the dry signal (it usually is); shorter by
    more than the delay, it is refused."""
    check_signal(dry, names[0])
    check_signal(wet, names[1])
    al = find_alignment(dry, wet, sample_rate, max_delay_s)
    if al.correlation < MIN_CORRELATION:
        raise UserError(f"{names[1]} does not match {names[0]} (cross-correlation peak "
                        f"{al.correlation:.3f} within {max_delay_s:g} s): is it the recording of "
                        f"this signal, and did it start before the signal?")
    n = min(len(dry), len(wet) - al.delay_samples)
    if n < 0.9 * len(dry):
        raise UserError(f"{names[1]} ends {(len(dry) - n) / sample_rate:.2f} s before {names[0]} "
                        f"(after its delay of {al.delay_samples} samples): record the whole signal")
    return dry[:n].astype(np.float32), wet[al.delay_samples: al.delay_samples + n].astype(np.float32), al


# ---- pairs folders ----

def write_pairs(out: str | Path, dry: np.ndarray, wet: np.ndarray, sample_rate: int,
                meta: dict, valid_fraction: float = 0.1) -> Path:
    """Writes PAIRS/{train,valid}/{input,target}.wav and pairs.json; valid is the last
    `valid_fraction` of the audio (one contiguous stretch, so no phrase is in both)."""
    import soundfile as sf

    if len(dry) != len(wet):
        raise ValueError("dry and wet must have the same length")
    if not 0.0 < valid_fraction < 0.5:
        raise UserError(f"--valid-fraction must be in (0, 0.5), got {valid_fraction}")
    out = Path(out)
    cut = int(len(dry) * (1 - valid_fraction))
    seconds = {}
    for split, sl in (("train", slice(0, cut)), ("valid", slice(cut, None))):
        d = out / split
        d.mkdir(parents=True, exist_ok=True)
        sf.write(d / "input.wav", dry[sl], sample_rate, subtype="FLOAT")
        sf.write(d / "target.wav", wet[sl], sample_rate, subtype="FLOAT")
        seconds[split] = len(dry[sl]) / sample_rate
    info = {"format": "rt-synth pairs 1", "sample_rate": int(sample_rate), "seconds": seconds, **meta}
    (out / "pairs.json").write_text(json.dumps(info, indent=2))
    return out


def load_pairs(path: str | Path, split: str) -> tuple:
    """(input, target, sample_rate) of one split; errors name the folder or file."""
    import soundfile as sf

    path = Path(path)
    meta = path / "pairs.json"
    if not meta.is_file():
        raise UserError(f"{path} is not a pairs folder (no pairs.json): make one with "
                        f"`rt-synth data pairs render` or `rt-synth data pairs align`")
    info = json.loads(meta.read_text())
    arrays = []
    for name in ("input", "target"):
        f = path / split / f"{name}.wav"
        try:
            x, sr = sf.read(f, dtype="float32", always_2d=True)
        except Exception as exc:
            raise UserError(f"cannot read {f}: {exc}") from exc
        if sr != int(info["sample_rate"]):
            raise UserError(f"{f} is at {sr} Hz, {meta} says {info['sample_rate']} Hz")
        arrays.append(x.mean(axis=1))
    if len(arrays[0]) != len(arrays[1]):
        raise UserError(f"{path / split}: input and target differ in length "
                        f"({len(arrays[0])} and {len(arrays[1])} samples); align them again")
    return arrays[0], arrays[1], int(info["sample_rate"])


def load_pair_knobs(path: str | Path, split: str) -> tuple | None:
    """(knobs table [{"name", "min", "max", "default"}], runs [{"start", "length", "values"}])
    of one split of a pairs folder with knobs; None for pairs without knobs. The runs cover the
    split's samples in order; errors name the file."""
    path = Path(path)
    info = json.loads((path / "pairs.json").read_text())
    table = info.get("knobs")
    if not table:
        return None
    f = path / split / "knobs.json"
    try:
        runs = json.loads(f.read_text())["runs"]
    except Exception as exc:
        raise UserError(f"{f}: cannot read the knob values of {path}'s {split} split ({exc}); "
                        f"render the pairs again") from exc
    pos = 0
    for r in runs:
        if r["start"] != pos or r["length"] <= 0 or len(r["values"]) != len(table):
            raise UserError(f"{f}: run {r} does not continue at sample {pos} with "
                            f"{len(table)} knob values")
        pos += r["length"]
    return [dict(k) for k in table], runs


def read_mono_at(path: str | Path) -> tuple:
    import soundfile as sf

    try:
        x, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:
        raise UserError(f"cannot read {path}: {exc}") from exc
    return x.mean(axis=1), int(sr)


def align_recording(dry_path: str | Path, wet_path: str | Path, out: str | Path,
                    max_delay_s: float = 1.0, valid_fraction: float = 0.1) -> tuple:
    """The reamping workflow: the signal played (dry) and its recording (wet) → a pairs folder.
    Returns (folder, Alignment)."""
    dry, sr = read_mono_at(dry_path)
    wet, sr_wet = read_mono_at(wet_path)
    if sr != sr_wet:
        raise UserError(f"{wet_path} is at {sr_wet} Hz but {dry_path} is at {sr} Hz: record at "
                        f"the rate of the signal you played")
    dry, wet, al = aligned_pair(dry, wet, sr, (str(dry_path), str(wet_path)), max_delay_s)
    meta = {"source": "recording", "input": str(Path(dry_path).resolve()),
            "recording": str(Path(wet_path).resolve()), **asdict(al)}
    return write_pairs(out, dry, wet, sr, meta, valid_fraction), al


def apply_sox_chain(x: np.ndarray, sample_rate: int, chain: str, effects: list | None = None) -> np.ndarray:
    """x through the sox effects of CHAINS[chain] (or `effects`, sox arguments), the same
    length, float32."""
    import soundfile as sf

    if effects is None and chain not in CHAINS:
        raise UserError(f"unknown effect chain {chain!r}; choose from "
                        f"{', '.join([*CHAINS, *KNOB_CHAINS])}")
    effects = CHAINS[chain] if effects is None else effects
    exe = shutil.which("sox")
    if exe is None:
        raise UserError("sox is not installed: apt-get install sox (scripts/setup.sh does)")
    with tempfile.TemporaryDirectory(prefix="rt-synth-pairs-") as tmp:
        src, dst = Path(tmp) / "dry.wav", Path(tmp) / "wet.wav"
        sf.write(src, x, sample_rate, subtype="FLOAT")
        cmd = [exe, "-D", "-V1", str(src), "-e", "floating-point", "-b", "32", str(dst), *effects]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise UserError(f"sox failed ({' '.join(cmd)}): {r.stderr.strip()}")
        y, _ = sf.read(dst, dtype="float32")
    return y[: len(x)] if len(y) >= len(x) else np.pad(y, (0, len(x) - len(y)))


def knob_settings(table, count: int, rng: np.random.Generator) -> list:
    """`count` knob settings spread over each knob's range: per knob a random permutation of
    count equal strata, a uniform draw within each (a Latin hypercube)."""
    cols = []
    for k in table:
        u = (rng.permutation(count) + rng.uniform(0, 1, count)) / count
        cols.append(k["min"] + u * (k["max"] - k["min"]))
    return [[float(c[i]) for c in cols] for i in range(count)]


def render_knob_pairs(out: str | Path, seconds: float, seed: int = 0, chain: str = "overdrive-knobs",
                      sample_rate: int = 48000, valid_fraction: float = 0.1,
                      settings: int = DEFAULT_KNOB_SETTINGS) -> Path:
    """Rendered pairs with knobs: the reamp signal cut into train and valid, each part rendered
    through KNOB_CHAINS[chain] at `settings` random knob settings (others per split), the
    renders one after the other, knobs.json per split."""
    import soundfile as sf

    spec = KNOB_CHAINS[chain]
    if settings < 1:
        raise UserError(f"--knobs must be at least 1 setting, got {settings}")
    if not 0.0 < valid_fraction < 0.5:
        raise UserError(f"--valid-fraction must be in (0, 0.5), got {valid_fraction}")
    rng = np.random.default_rng([seed, 11])
    dry = reamp_signal(sample_rate, seed, max(0.0, seconds))
    cut = int(len(dry) * (1 - valid_fraction))
    out = Path(out)
    seconds_out, gains = {}, []
    for split, part in (("train", dry[:cut]), ("valid", dry[cut:])):
        xs, ys, runs = [], [], []
        for values in knob_settings(spec["knobs"], settings, rng):
            wet = apply_sox_chain(part, sample_rate, chain, spec["sox"](*values))
            check_signal(wet, f"the {chain!r} chain's output at {values}")
            runs.append({"start": sum(len(a) for a in xs), "length": len(part), "values": values})
            gains.append(_rms_db(wet) - _rms_db(part))
            xs.append(part)
            ys.append(wet)
        d = out / split
        d.mkdir(parents=True, exist_ok=True)
        sf.write(d / "input.wav", np.concatenate(xs), sample_rate, subtype="FLOAT")
        sf.write(d / "target.wav", np.concatenate(ys), sample_rate, subtype="FLOAT")
        (d / "knobs.json").write_text(json.dumps(
            {"names": [k["name"] for k in spec["knobs"]], "runs": runs}, indent=1))
        seconds_out[split] = settings * len(part) / sample_rate
    info = {"format": "rt-synth pairs 1", "sample_rate": int(sample_rate), "seconds": seconds_out,
            "source": "rendered", "chain": chain, "seed": int(seed), "delay_samples": 0,
            "peak_samples": 0, "gain_db": float(np.mean(gains)), "polarity": 1,
            "knobs": [dict(k) for k in spec["knobs"]], "knob_settings": int(settings)}
    (out / "pairs.json").write_text(json.dumps(info, indent=2))
    return out


def render_effect_pairs(out: str | Path, seconds: float, seed: int = 0, chain: str = "overdrive",
                        sample_rate: int = 48000, valid_fraction: float = 0.1,
                        knob_settings: int | None = None) -> Path:
    """Rendered pairs: the reamp signal with `seconds` of DI guitar through a sox chain. A
    chain with knobs (KNOB_CHAINS), or knob_settings given for a chain that has a knob form
    (CHAIN-knobs), renders pairs with knobs (render_knob_pairs)."""
    if knob_settings is not None and chain not in KNOB_CHAINS:
        if chain + "-knobs" not in KNOB_CHAINS:
            raise UserError(f"chain {chain!r} has no knobs; chains with knobs: "
                            f"{', '.join(KNOB_CHAINS)}")
        chain += "-knobs"
    if chain in KNOB_CHAINS:
        return render_knob_pairs(out, seconds, seed, chain, sample_rate, valid_fraction,
                                 knob_settings or DEFAULT_KNOB_SETTINGS)
    dry = reamp_signal(sample_rate, seed, max(0.0, seconds))
    wet = apply_sox_chain(dry, sample_rate, chain)
    check_signal(wet, f"the {chain!r} chain's output")
    meta = {"source": "rendered", "chain": chain, "sox": CHAINS[chain], "seed": int(seed),
            "delay_samples": 0, "peak_samples": 0, "gain_db": _rms_db(wet) - _rms_db(dry), "polarity": 1}
    return write_pairs(out, dry, wet, sample_rate, meta, valid_fraction)
