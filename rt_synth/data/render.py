"""``rt-synth data render``: synthetic training phrases rendered by FluidSynth.

Speed: loading the General MIDI soundfont costs FluidSynth about a second, rendering is
hundreds of times faster than real time. So phrases are not rendered one process each: a
batch of phrases is laid end to end in ONE MIDI file (each phrase starting on a whole second,
with a silent gap for release tails; each phrase re-sends its program, bend range and
controllers), rendered by one ``fluidsynth -F`` call, and cut back into phrases at exact
sample offsets (FluidSynth's file renderer is sample-clocked: an event at time t is heard at
t, however long the file). Batches run in parallel, one process per core.

Output folder::

    OUT/manifest.json             instrument, program, seed, sample rate, hop, phrase list
    OUT/phrase_0000.wav           mono float32 WAV at --sample-rate
    OUT/phrase_0000.mid           the phrase alone (plays the same as in the batch)
    OUT/phrase_0000.f0.npy        ground-truth f0 in Hz per frame [n_samples // hop], 0 = rest
"""
from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from rt_synth.errors import UserError
from rt_synth.data.instruments import instrument_style, program_name, resolve_program
from rt_synth.data.phrases import TICKS_PER_SECOND, generate_phrase, messages_to_midi

INSTALL_HINT = "install it with `apt-get install fluidsynth fluid-soundfont-gm`"
SOUNDFONT_CANDIDATES = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/soundfonts/default.sf2",
)
PHRASE_SECONDS = (8.0, 20.0)
GAP_SECONDS = 2.0          # silence between phrases in a batch (release tails die out)
BATCH_SECONDS = 240.0      # phrase audio per FluidSynth call


def find_soundfont(path: str | None) -> Path:
    if path:
        sf2 = Path(path).expanduser()
        if not sf2.is_file():
            raise UserError(f"soundfont {sf2} not found: pass an existing .sf2 with --soundfont, "
                            f"or {INSTALL_HINT} for {SOUNDFONT_CANDIDATES[0]}")
        return sf2
    env = os.environ.get("RT_SYNTH_SOUNDFONT")
    for cand in ([env] if env else []) + list(SOUNDFONT_CANDIDATES):
        if Path(cand).is_file():
            return Path(cand)
    raise UserError(f"no General MIDI soundfont found (looked for {', '.join(SOUNDFONT_CANDIDATES)}): "
                    f"{INSTALL_HINT}, or pass one with --soundfont PATH")


def find_fluidsynth() -> str:
    exe = shutil.which("fluidsynth")
    if not exe:
        raise UserError(f"the `fluidsynth` program was not found on PATH: {INSTALL_HINT}")
    return exe


def phrase_lengths(total_seconds: float, rng: np.random.Generator) -> list:
    """Phrase lengths of 8-20 s adding up to total_seconds (one shorter phrase if the total
    is under 8 s; no leftover shorter than 8 s otherwise)."""
    lo, hi = PHRASE_SECONDS
    out, left = [], float(total_seconds)
    while left > 1e-9:
        if left <= hi:
            out.append(left)
            break
        length = rng.uniform(lo, hi)
        if left - length < lo:            # leave a remainder that is itself a full phrase
            length = left - lo if left - lo >= lo else left / 2
        out.append(length)
        left -= length
    return out


def generate_phrases(program: int, seconds: float, seed: int, sample_rate: int = 48000,
                     hop: int = 192) -> list:
    """The phrases `render_dataset` renders for (program, seconds, seed): lengths from
    phrase_lengths, phrase k from the seed sequence [seed, program, k]."""
    style = instrument_style(program)
    master = np.random.default_rng(np.random.SeedSequence([int(seed), program]))
    phrases = []
    for k, length in enumerate(phrase_lengths(seconds, master)):
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), program, k]))
        phrases.append(generate_phrase(rng, program, style, length, sample_rate, hop))
    return phrases


def render_phrases(items: list, soundfont: str | Path | None = None, sample_rate: int = 48000,
                   jobs: int | None = None, work_dir: str | Path | None = None,
                   on_batch=None) -> list:
    """Render MIDI items with FluidSynth: one mono float32 array per item, items[k].n_samples
    long. An item is anything with `n_samples` and `timed_messages()` ([(tick, mido message)]
    at TICKS_PER_SECOND from its own start, setting up its own channel: program, controllers),
    such as a Phrase (`phrase.with_program(p)` plays the same MIDI on GM program p) or a
    rt_synth.data.drum_loop.DrumLoop. Items are laid end to end in batches of about
    BATCH_SECONDS, one FluidSynth process per batch, `jobs` at a time (default: one per core).
    on_batch(indices, audios) is called as each batch finishes (progress, writing files)."""
    exe = find_fluidsynth()
    sf2 = find_soundfont(str(soundfont) if soundfont else None)
    batches, current, current_s = [], [], 0.0
    for k, item in enumerate(items):
        current.append(k)
        current_s += item.n_samples / sample_rate
        if current_s >= BATCH_SECONDS:
            batches.append(current)
            current, current_s = [], 0.0
    if current:
        batches.append(current)
    jobs = max(1, min(jobs or (os.cpu_count() or 1), len(batches)))
    out = [None] * len(items)
    with tempfile.TemporaryDirectory(prefix=".render-", dir=work_dir) as tmp:
        def work(b: int):
            return b, _render_batch(exe, sf2, [items[k] for k in batches[b]], sample_rate,
                                    Path(tmp) / f"batch{b}")

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for b, audios in pool.map(work, range(len(batches))):
                for k, audio in zip(batches[b], audios):
                    out[k] = audio
                if on_batch is not None:
                    on_batch(batches[b], audios)
    return out


def render_dataset(instrument: str, seconds: float, seed: int, out: str | Path,
                   soundfont: str | None = None, sample_rate: int = 48000, hop: int = 192,
                   jobs: int | None = None, progress: bool = True) -> dict:
    """Generate and render phrases; returns the manifest (also written to OUT/manifest.json)."""
    import soundfile as sf
    from tqdm import tqdm

    if seconds <= 0:
        raise UserError(f"--seconds must be positive, got {seconds}")
    if sample_rate <= 0 or hop <= 0:
        raise UserError("--sample-rate and --hop must be positive")
    program = resolve_program(instrument)
    find_fluidsynth()
    sf2 = find_soundfont(soundfont)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    phrases = generate_phrases(program, seconds, seed, sample_rate, hop)

    entries = [None] * len(phrases)
    total = sum(p.n_samples for p in phrases) / sample_rate
    bar = tqdm(total=round(total, 1), unit="s", desc=f"render {program_name(program)}",
               disable=not progress, file=sys.stderr)

    def write(indices, audios):
        for k, audio in zip(indices, audios):
            ph = phrases[k]
            name = f"phrase_{k:04d}"
            f0 = ph.f0(hop)
            sf.write(out / f"{name}.wav", audio, sample_rate, subtype="FLOAT")
            ph.to_midi().save(out / f"{name}.mid")
            np.save(out / f"{name}.f0.npy", f0)
            entries[k] = {
                "name": name, "wav": f"{name}.wav", "mid": f"{name}.mid",
                "f0": f"{name}.f0.npy", "samples": ph.n_samples,
                "seconds": ph.n_samples / sample_rate, "frames": int(f0.shape[0]),
                "notes": len(ph.notes),
                "voiced_fraction": float(np.mean(f0 > 0)) if f0.size else 0.0,
                "peak": float(np.max(np.abs(audio))) if audio.size else 0.0,
            }
            bar.update(round(ph.n_samples / sample_rate, 1))

    render_phrases(phrases, sf2, sample_rate, jobs, work_dir=out, on_batch=write)
    bar.close()

    manifest = {
        "kind": "rt-synth-render", "version": 1,
        "instrument": program_name(program), "program": program, "seed": int(seed),
        "sample_rate": sample_rate, "hop": hop, "soundfont": str(sf2),
        "f0_convention": "Hz per frame i = samples [i*hop, (i+1)*hop), MIDI state on the "
                         "frame's last sample; 0 where no note is held",
        "bend_range_semitones": 2, "total_seconds": total, "phrases": entries,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest


def _render_batch(exe: str, sf2: Path, phrases: list, sample_rate: int, work: Path) -> list:
    """Render phrases laid end to end in one MIDI file; returns one mono float32 array each."""
    import soundfile as sf

    work.mkdir(parents=True, exist_ok=True)
    timed, starts, t = [], [], 0
    for ph in phrases:
        starts.append(t)
        offset = t * TICKS_PER_SECOND
        timed.extend((offset + tick, msg) for tick, msg in ph.timed_messages())
        t = int(math.ceil(t + ph.n_samples / sample_rate + GAP_SECONDS))
    end_tick = t * TICKS_PER_SECOND
    mid_path, wav_path = work / "batch.mid", work / "batch.wav"
    messages_to_midi(timed, end_tick).save(mid_path)
    # dynamic-sample-loading: only the presets the MIDI file plays are loaded (an SF3 soundfont
    # such as MuseScore General is otherwise decompressed whole: 18 s instead of 2.7 s); the
    # rendered samples are the same.
    cmd = [exe, "-ni", "-q", "-g", "1.0", "-r", str(sample_rate), "-R", "0", "-C", "0",
           "-o", "synth.dynamic-sample-loading=1", "-O", "float", "-F", str(wav_path), str(sf2), str(mid_path)]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except OSError as exc:
        raise UserError(f"could not start fluidsynth ({exc}): {INSTALL_HINT}") from exc
    if proc.returncode != 0 or not wav_path.is_file():
        tail = "\n".join(proc.stdout.strip().splitlines()[-8:])
        raise UserError(f"fluidsynth failed (exit status {proc.returncode}) rendering {mid_path} "
                        f"with soundfont {sf2}:\n{tail}\ncommand: {' '.join(cmd)}")
    audio, sr = sf.read(wav_path, dtype="float32", always_2d=True)
    if sr != sample_rate:
        raise UserError(f"fluidsynth wrote {sr} Hz, asked for {sample_rate} Hz")
    mono = audio.mean(axis=1)
    out = []
    for start, ph in zip(starts, phrases):
        a = start * sample_rate
        seg = mono[a:a + ph.n_samples]
        if seg.shape[0] < ph.n_samples:  # the renderer stopped early: pad with silence
            seg = np.pad(seg, (0, ph.n_samples - seg.shape[0]))
        out.append(np.ascontiguousarray(seg, dtype=np.float32))
    return out
