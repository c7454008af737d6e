"""``rt-synth data render|prepare|pairs``: make training data (docs/data.md).

render   synthetic phrases (MIDI → FluidSynth) with exact ground-truth f0
prepare  a folder of audio → fixed-length examples + f0/periodicity/loudness memmaps
pairs    dry/wet pairs for effect models: the reamp signal, aligning its recording, or
         rendered through a reference chain (docs/effect-data.md)
"""
from __future__ import annotations

import argparse


def register(sub) -> None:
    p = sub.add_parser("data", help="make training data (render, prepare)",
                       description="Make training data: render synthetic phrases, or prepare "
                                   "a folder of audio into a dataset for `rt-synth train`.")
    cmds = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    r = cmds.add_parser(
        "render", help="render synthetic MIDI phrases with FluidSynth (with ground-truth f0)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Generate musical phrases for one General MIDI instrument, render them with "
                    "FluidSynth, and write per phrase a WAV, the MIDI file and the ground-truth "
                    "f0 per frame (.f0.npy), plus manifest.json.")
    r.add_argument("--instrument", required=True,
                   help="General MIDI name (violin, cello, flute, trumpet, 'french horn', ...) "
                        "or program number 0-127")
    r.add_argument("--seconds", type=float, required=True, help="total audio to render")
    r.add_argument("--seed", type=int, default=0, help="same seed → same phrases")
    r.add_argument("--out", required=True, help="output folder (created)")
    r.add_argument("--soundfont", default=None,
                   help="SF2 file (default: /usr/share/sounds/sf2/FluidR3_GM.sf2, or "
                        "$RT_SYNTH_SOUNDFONT)")
    r.add_argument("--sample-rate", type=int, default=48000)
    r.add_argument("--hop", type=int, default=192, help="frame hop of the ground-truth f0")
    r.add_argument("--jobs", type=int, default=None,
                   help="parallel FluidSynth processes (default: number of cores)")
    r.set_defaults(func=_render)

    q = cmds.add_parser(
        "prepare", help="prepare a folder of audio into a training dataset",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Read every WAV/FLAC/OGG under AUDIO_DIR (recursively), mix to mono, "
                    "resample, trim silence, cut into fixed-length examples and store audio, "
                    "f0, periodicity and loudness as memory-mapped arrays (train/ and valid/).")
    q.add_argument("audio_dir", metavar="AUDIO_DIR", help="folder of audio files")
    q.add_argument("--out", required=True, help="dataset folder (created or replaced)")
    q.add_argument("--example-seconds", type=float, default=2.0,
                   help="length of one example (rounded down to whole hops)")
    q.add_argument("--valid-fraction", type=float, default=0.1)
    q.add_argument("--sample-rate", type=int, default=48000)
    q.add_argument("--hop", type=int, default=192)
    q.add_argument("--silence-db", type=float, default=-60.0,
                   help="a 10 ms block is silent below this RMS level, in dB relative to "
                        "the file's peak")
    q.add_argument("--max-silence", type=float, default=1.0,
                   help="internal silences longer than this (seconds) are shortened to it")
    q.set_defaults(func=_prepare)
    _register_pairs(cmds)


def _register_pairs(cmds) -> None:
    from rt_synth.data.pairs import CHAINS, KNOB_CHAINS

    p = cmds.add_parser("pairs", help="dry/wet pairs for effect models (reamp signal, align, render)",
                        description="Pairs for `rt-synth train effect`: write the test signal to "
                                    "play through your amp or pedal, align its recording, or "
                                    "render pairs through a reference effect chain.")
    acts = p.add_subparsers(dest="pairs_command", metavar="ACTION", required=True)
    s = acts.add_parser("signal", help="write the reamp test signal (sweeps, noise, chords, DI guitar)",
                        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    s.add_argument("--out", required=True, help="WAV file to write (float32 mono)")
    s.add_argument("--guitar-seconds", type=float, default=120.0, help="DI guitar after the test tones")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--sample-rate", type=int, default=48000)
    s.set_defaults(func=_pairs_signal)
    a = acts.add_parser("align", help="align a recording of the signal with it into a pairs folder",
                        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    a.add_argument("dry", help="the signal you played (rt-synth data pairs signal)")
    a.add_argument("wet", help="its recording through the device (same rate, may be longer)")
    a.add_argument("--out", required=True, help="pairs folder (created)")
    a.add_argument("--max-delay", type=float, default=1.0, help="largest latency searched, seconds")
    a.add_argument("--valid-fraction", type=float, default=0.1)
    a.set_defaults(func=_pairs_align)
    r = acts.add_parser("render", help="render pairs through a reference effect chain (sox)",
                        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    r.add_argument("--out", required=True, help="pairs folder (created)")
    r.add_argument("--chain", default="overdrive", choices=sorted([*CHAINS, *KNOB_CHAINS]))
    r.add_argument("--knobs", type=int, default=None, metavar="N",
                   help="render each split at N random knob settings (a chain with knobs: "
                        "overdrive → overdrive-knobs, gain and tone; 4 for a -knobs chain); "
                        "the knob values are stored with the pairs for conditioned models")
    r.add_argument("--seconds", type=float, default=180.0, help="DI guitar after the test tones")
    r.add_argument("--seed", type=int, default=0, help="another seed → other phrases (held-out pairs)")
    r.add_argument("--sample-rate", type=int, default=48000)
    r.add_argument("--valid-fraction", type=float, default=0.1)
    r.set_defaults(func=_pairs_render)


def _pairs_signal(args) -> int:
    import soundfile as sf

    from rt_synth.data.pairs import reamp_signal

    x = reamp_signal(args.sample_rate, args.seed, args.guitar_seconds)
    sf.write(args.out, x, args.sample_rate, subtype="FLOAT")
    print(f"wrote {len(x) / args.sample_rate:.1f} s to {args.out}: play it through the device, "
          f"record the output, then `rt-synth data pairs align {args.out} RECORDING --out PAIRS`")
    return 0


def _pairs_align(args) -> int:
    from rt_synth.data.pairs import align_recording

    out, al = align_recording(args.dry, args.wet, args.out, args.max_delay, args.valid_fraction)
    print(f"aligned: delay {al.delay_samples} samples (correlation peak at {al.peak_samples}), "
          f"gain {al.gain_db:+.1f} dB, correlation {al.correlation:.2f}")
    if al.polarity < 0:
        print("note: the recording is inverted (polarity -1): kept as recorded; if your device "
              "does not invert, check the cable or the interface's phase switch")
    print(f"pairs folder: {out}")
    return 0


def _pairs_render(args) -> int:
    from rt_synth.data.pairs import render_effect_pairs

    out = render_effect_pairs(args.out, args.seconds, args.seed, args.chain, args.sample_rate,
                              args.valid_fraction, knob_settings=args.knobs)
    chain = args.chain if args.knobs is None or args.chain.endswith("-knobs") else args.chain + "-knobs"
    print(f"rendered pairs through {chain!r} to {out}")
    return 0


def _render(args) -> int:
    from rt_synth.data.render import render_dataset

    m = render_dataset(args.instrument, args.seconds, args.seed, args.out, args.soundfont,
                       args.sample_rate, args.hop, args.jobs)
    print(f"rendered {len(m['phrases'])} phrases, {m['total_seconds']:.1f} s of "
          f"{m['instrument']} (program {m['program']}) to {args.out}")
    return 0


def _prepare(args) -> int:
    from rt_synth.data.prepare import prepare_dataset, skipped_summary

    info = prepare_dataset(args.audio_dir, args.out, example_seconds=args.example_seconds,
                           valid_fraction=args.valid_fraction, sample_rate=args.sample_rate,
                           hop=args.hop, silence_db=args.silence_db,
                           max_silence=args.max_silence)
    c = info["counts"]
    print(f"prepared {c['train']} train + {c['valid']} valid examples of "
          f"{info['example_samples'] / info['sample_rate']:.2f} s from "
          f"{len(info['sources'])} file(s) into {args.out}")
    summary = skipped_summary(info)
    if summary:
        print(summary + " (reasons per file above and in dataset.json)")
    return 0
