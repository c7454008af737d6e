"""`rt-synth render MODEL --midi IN.mid --out OUT.wav`: a MIDI file played by the synth engine
(DDSP: the polyphonic engine; a pitched RAVE model: the monophonic RaveSynth, docs/rave-engine.md)."""
from __future__ import annotations

import time

from rt_synth.cli.errors import UserError


def register(sub):
    p = sub.add_parser("render", help="render a MIDI file to WAV with the polyphonic synth engine")
    p.add_argument("model", help="model file (.rtsynth, kind ddsp or a pitched rave: monophonic, legato) or a model name "
                        "(rt-synth models)")
    p.add_argument("--midi", required=True, help="input MIDI file")
    p.add_argument("--out", required=True, help="output WAV file")
    p.add_argument("--voices", type=int, default=8, help="voices 1..32 (default 8; ddsp only: rave is monophonic)")
    p.add_argument("--block", type=int, default=256, help="block size (the result does not depend on it)")
    p.add_argument("--tail", type=float, default=1.5, help="seconds rendered after the last event")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="engine parameter, e.g. --param release_s=0.5 (repeatable); rave: attack_s, release_s, "
                        "glide_s, gain_db, bend_range")
    p.add_argument("--latent-offset", action="append", default=[], metavar="I=V",
                   help="rave: offset of latent control I, model units (repeatable; CC 16+I moves it too)")
    p.add_argument("--preset", action="append", default=[], metavar="I=V",
                   help="rave: the latent point notes play, control I (default 0 = the training mean)")
    p.set_defaults(func=run)


def run(args):
    import soundfile as sf

    from rt_synth.model_locator import resolve_model
    from rt_synth.synth.engine import render_midi

    args.model = str(resolve_model(args.model))

    params = {}
    for item in args.param:
        name, _, value = item.partition("=")
        try:
            params[name] = float(value)
        except ValueError:
            raise UserError(f"--param {item!r}: expected NAME=NUMBER") from None
    if args.block < 1:
        raise UserError("--block must be >= 1")
    from rt_synth.synth.rave import model_kind, parse_latent_options, render_rave_midi

    rave = model_kind(args.model) == "rave"
    if not rave and (args.latent_offset or args.preset):
        raise UserError("--latent-offset / --preset are for RAVE models; this one is "
                        f"{model_kind(args.model) or 'not a RAVE model'}")
    t0 = time.perf_counter()
    if rave:
        audio, sr = render_rave_midi(args.model, args.midi, block=args.block, tail_s=args.tail, params=params,
                                     offsets=parse_latent_options(args.latent_offset, "--latent-offset"),
                                     presets=parse_latent_options(args.preset, "--preset"))
    else:
        try:
            audio, sr = render_midi(args.model, args.midi, voices=args.voices, block=args.block,
                                    tail_s=args.tail, params=params)
        except KeyError as exc:
            raise UserError(str(exc)) from None
    dt = time.perf_counter() - t0
    sf.write(args.out, audio, sr, subtype="PCM_24")
    print(f"render: {args.out}: {len(audio) / sr:.2f} s at {sr} Hz, peak {abs(audio).max() if len(audio) else 0:.3f}, "
          f"real-time factor {dt / max(1e-9, len(audio) / sr):.3f}")
    return 0
