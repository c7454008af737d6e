"""`rt-synth demo`: the shipped model plays a bundled polyphonic MIDI piece (chords, bends,
fast notes) and a timbre transfer of a clip, and every DDSP instrument found plays one short
tune in its own register (rt_synth.synth.instrument_piece); written as WAV files and a
spectrogram PNG in a new folder; prints where they are, the latency and the real-time factor."""
from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import numpy as np

from rt_synth.errors import UserError
from rt_synth.model_locator import (DEFAULT_MODEL, ModelLocation, check_model_file, known_models,
                                    resolve_model)

ASSETS = Path(__file__).resolve().parents[1] / "assets"


MAKE_MODEL = ("rt-synth data render --instrument violin --seconds 1500 --seed 1 --out audio/violin && "
              "rt-synth data prepare audio/violin --out datasets/violin && "
              "rt-synth train ddsp --data datasets/violin --out runs/violin-live --config live --steps 3000 && "
              "rt-synth export runs/violin-live --out exports/violin-live-ddsp")


def register(sub):
    p = sub.add_parser("demo", help="render the bundled MIDI piece and a timbre transfer with the shipped model")
    p.add_argument("--model", default=None,
                   help=f"model file or name (default {DEFAULT_MODEL}; while it is missing, the "
                        "newest *ddsp* model that rt-synth models lists)")
    p.add_argument("--input", default=None,
                   help="audio file for the timbre-transfer part (any format libsndfile reads: WAV, "
                        "FLAC, OGG, MP3, ...; default: the bundled flute clip)")
    p.add_argument("--out", help="output folder (default: a new demo-YYYYmmdd-HHMMSS folder here)")
    p.add_argument("--no-instruments", action="store_true",
                   help="skip the short tune on every DDSP instrument (instruments/NAME.wav)")
    p.add_argument("--voices", type=int, default=8)
    p.add_argument("--block", type=int, default=128)
    p.set_defaults(func=run)


def pick_model(arg: str | None, candidates: list[ModelLocation] | None = None) -> tuple[Path, str]:
    """(model, note): --model if given (a path or a name); else the default model; else the
    newest *ddsp* model on the search path (with a note saying so); else a UserError naming the
    default model and the commands that make it."""
    if arg:
        return resolve_model(arg), ""
    candidates = known_models() if candidates is None else candidates
    for m in candidates:
        if m.name == DEFAULT_MODEL:
            return check_model_file(m.path), ""
    others = sorted((m.path for m in candidates if "ddsp" in m.name),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    if others:
        return others[0], f"{DEFAULT_MODEL}.rtsynth not found (still being trained?); using {others[0]}"
    raise UserError(f"{DEFAULT_MODEL}.rtsynth: the shipped model is missing and there is no other "
                    f"*ddsp* model (rt-synth models lists what is found). "
                    f"Make it with: {MAKE_MODEL}  (or pass --model PATH)")


def _clip(sr: int, path: str | None = None) -> tuple[np.ndarray, int, str]:
    """(mono audio, its sample rate, its name): the --input file, else the bundled clip, or
    (none bundled) a 4 s synthetic melodic line at sr: a bright harmonic tone with glides,
    vibrato and a rest, standing in for a sung or played phrase."""
    from rt_synth.data.audio import RejectedFile, read_mono

    if path is not None:
        if not Path(path).is_file():
            raise UserError(f"--input {path}: no such audio file")
        try:
            x, r, _ = read_mono(Path(path))
        except RejectedFile as exc:
            raise UserError(f"--input {path}: {exc}") from exc
        return x, r, str(path)
    for name in ("demo_clip.wav", "demo_clip.flac"):
        p = ASSETS / name
        if p.is_file():
            x, r, _ = read_mono(p)
            return x, r, str(p)
    t = np.arange(int(4.0 * sr)) / sr
    midi = np.interp(t, [0, 0.8, 1.0, 1.8, 2.0, 4.0], [57, 57, 62, 62, 64, 60])
    midi += 0.3 * np.sin(2 * np.pi * 5.5 * t) * (t > 2.2)
    f0 = 440 * 2 ** ((midi - 69) / 12)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    x = sum(np.sin(k * phase) / k ** 1.3 for k in range(1, 12))
    env = np.clip(np.minimum(t / 0.05, 1) * np.minimum((4.0 - t) / 0.2, 1), 0, 1)
    env[(t > 2.6) & (t < 2.9)] = 0.0
    return (0.2 * x * env).astype(np.float32), sr, "synthetic melodic line (no clip bundled)"


def run(args):
    import soundfile as sf
    from rt_synth.synth.engine import load_engine, load_host_engine, midi_file_events, render_events

    model, note = pick_model(args.model)
    if note:
        print(f"demo: {note}")
    out = Path(args.out) if args.out else Path.cwd() / datetime.now().strftime("demo-%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=False if not args.out else True)

    # 1. MIDI piece through the polyphonic engine.
    eng = load_engine(model, voices=args.voices, max_block=max(4096, args.block), lookahead_frames=0)
    sr = eng.sample_rate
    events, end = midi_file_events(ASSETS / "demo_poly.mid", sr)
    n = end + int(1.5 * sr)
    t0 = time.perf_counter()
    synth = render_events(eng, events, n, args.block)
    synth_rtf = (time.perf_counter() - t0) / (n / sr)
    sf.write(str(out / "synth.wav"), synth, sr, subtype="PCM_24")

    # 2. Timbre transfer of a clip.
    # The same Engine a host embeds, in transfer mode, fed block by block like a live input.
    clip, clip_sr, clip_name = _clip(sr, args.input)
    tt = load_host_engine(model, voices=args.voices, sample_rate=clip_sr, max_block=args.block,
                          mode="transfer")
    t0 = time.perf_counter()
    parts = [tt.process(len(clip[i:i + args.block]), clip[i:i + args.block])
             for i in range(0, len(clip), args.block)]
    transfer = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    transfer_rtf = (time.perf_counter() - t0) / (len(clip) / clip_sr)
    sf.write(str(out / "transfer_input.wav"), clip, clip_sr, subtype="PCM_24")
    sf.write(str(out / "transfer.wav"), transfer, clip_sr, subtype="PCM_24")

    # 3. Spectrograms.
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(3, 1, figsize=(11, 9))
    for ax, (title, y, rate) in zip(axes, [("MIDI piece (synth engine)", synth, sr),
                                           ("transfer input", clip, clip_sr),
                                           ("timbre transfer output", transfer, clip_sr)]):
        with np.errstate(divide="ignore"):
            ax.specgram(y, NFFT=2048, Fs=rate, noverlap=1536, cmap="magma", vmin=-120)
        ax.set_ylim(0, 5000)
        ax.set_title(title)
        ax.set_ylabel("Hz")
    axes[-1].set_xlabel("s")
    fig.tight_layout()
    fig.savefig(str(out / "spectrogram.png"), dpi=100)
    plt.close(fig)

    # 4. The same tune on every DDSP instrument, each in its own register.
    pieces = [] if args.no_instruments else play_each_instrument(out / "instruments", args.block)

    hop = eng.hop
    print(f"demo: wrote {out}/ (model {model})")
    print(f"  synth.wav            {n / sr:.1f} s, {len(events)} MIDI events, {args.voices} voices, block {args.block}")
    print(f"  transfer.wav         from {clip_name} (input copy: transfer_input.wav)")
    print("  spectrogram.png")
    for name, tonic, seconds in pieces:
        print(f"  instruments/{name}.wav  {seconds:.1f} s, the tune from MIDI note {tonic}")
    print(f"  latency: synth {eng.latency} samples + MIDI frame jitter 0..{hop - 1} samples "
          f"(<= {1000 * (hop - 1) / sr:.2f} ms) + the audio device's buffer; "
          f"transfer {tt.latency} samples ({1000 * tt.latency / clip_sr:.2f} ms)")
    print(f"  real-time factor: synth {synth_rtf:.3f}, transfer {transfer_rtf:.3f} (compute time / audio time)")
    return 0


def ddsp_instruments(candidates: list[ModelLocation] | None = None) -> list[ModelLocation]:
    """The DDSP models on the search path (by the kind each file states), in name order."""
    from rt_synth.synth.rave import model_kind

    candidates = known_models() if candidates is None else candidates
    return sorted((m for m in candidates if model_kind(m.path) == "ddsp"), key=lambda m: m.name)


def play_each_instrument(folder: Path, block: int = 128,
                         candidates: list[ModelLocation] | None = None) -> list[tuple[str, int, float]]:
    """Render the instrument tune with every DDSP model into folder/NAME.wav; [(name, tonic,
    seconds)]. A model that fails to load is reported and skipped, the others still play."""
    import soundfile as sf
    from rt_synth import _core
    from rt_synth.synth.engine import load_engine, render_events
    from rt_synth.synth.instrument_piece import piece_events, tonic_for

    done = []
    for m in ddsp_instruments(candidates):
        try:
            mean = _core.ModelFile(str(m.path)).get("rt_synth.ddsp.f0_midi_mean")
            eng = load_engine(m.path, voices=2, max_block=max(4096, block), lookahead_frames=0)
        except (UserError, RuntimeError) as exc:
            print(f"demo: {m.path}: skipped ({exc})")
            continue
        sr = eng.sample_rate
        tonic = tonic_for(float(mean) if mean is not None else float("nan"))
        events, end = piece_events(tonic, sr)
        n = end + int(1.0 * sr)
        y = render_events(eng, events, n, block)
        folder.mkdir(parents=True, exist_ok=True)
        sf.write(str(folder / f"{m.name}.wav"), y, sr, subtype="PCM_24")
        done.append((m.name, tonic, n / sr))
    return done
