"""``rt-synth transfer MODEL IN OUT [--block N] [--pitch-shift S] [--compensate-latency]``:
timbre transfer of an audio file through the C++ core's streaming path (docs/timbre-transfer.md).
For a model of kind "rave" the core's ``RaveEngine`` runs the model's forward (encode → latent
controls, ``--latent-offset/--latent-scale I=V`` → decode), off the model's rate through the
same HostAdapter (docs/rave-engine.md); the DDSP-only options are then refused. A model of
kind "effect" (amp or pedal) processes the file at its own rate: at the model's with latency 0,
at another through the core's HostAdapter (resampled around the model, as the plugins do).

The input (any WAV/FLAC/OGG, mixed to mono) is fed block by block to ``_core.TimbreTransfer``
prepared at the file's own rate: off 48 kHz the core's HostAdapter resamples inside the engine,
exactly as a live host would. The output is written at the input's rate. ``--compensate-latency``
drops the first latency() samples (and pads the end) so the output lines up with the input.
"""
from __future__ import annotations

import time
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("transfer", help="timbre transfer of an audio file through a model (offline, streaming core)")
    p.add_argument("model", help="native model file (.rtsynth, kind ddsp, rave or effect) or a model "
                                 "name (rt-synth models)")
    p.add_argument("input", help="input audio (WAV/FLAC/OGG)")
    p.add_argument("output", help="output WAV file (written at the input's sample rate)")
    p.add_argument("--block", type=int, default=512, help="host block size in samples (default 512)")
    p.add_argument("--pitch-shift", type=float, default=0.0, help="semitones (default 0)")
    p.add_argument("--input-gain", type=float, default=0.0, help="input gain in dB before analysis")
    p.add_argument("--loudness-offset", type=float, default=0.0, help="dB added to the loudness control")
    p.add_argument("--dry", type=float, default=0.0, help="dry (delayed input) gain, 0..1")
    p.add_argument("--wet", type=float, default=1.0, help="wet (model) gain, 0..1")
    p.add_argument("--f0-min", type=float, default=80.0, help="live YIN lowest f0 in Hz (default 80)")
    p.add_argument("--no-gate", action="store_true", help="disable the voicing gate")
    p.add_argument("--compensate-latency", action="store_true",
                   help="remove the reported latency so the output lines up with the input")
    p.add_argument("--latent-offset", action="append", default=[], metavar="I=V",
                   help="rave: offset of latent control I (model units, clamped; repeatable)")
    p.add_argument("--latent-scale", action="append", default=[], metavar="I=V",
                   help="rave: scale of latent control I (0..latent_scale_max; repeatable)")
    p.add_argument("--knob", action="append", default=[], metavar="NAME=VALUE",
                   help="effect with knobs: a knob's value in its units (clamped; repeatable), "
                        "e.g. --knob gain=24 --knob tone=-3; `rt-synth info MODEL` lists them")
    p.set_defaults(func=run)


def run(args) -> int:
    import numpy as np
    import soundfile as sf

    from rt_synth.cli.errors import UserError
    from rt_synth.core import load_core
    from rt_synth.data.audio import RejectedFile, read_mono

    core = load_core()
    if args.block < 1 or args.block > 65536:
        raise UserError(f"--block {args.block}: use 1..65536 samples")
    from rt_synth.model_locator import resolve_model

    args.model = str(resolve_model(args.model))
    if not Path(args.input).is_file():
        raise UserError(f"{args.input}: no such audio file")
    try:
        audio, sr, _ = read_mono(Path(args.input))
    except RejectedFile as exc:
        raise UserError(f"{args.input}: {exc}") from exc
    from rt_synth.synth.rave import model_kind
    kind = model_kind(args.model)
    if args.knob and kind != "effect":
        raise UserError("--knob applies to effect models with knobs only")
    if kind == "rave":
        return _run_rave(args, audio, sr)
    if kind == "effect":
        return _run_effect(args, audio, sr)
    if args.latent_offset or args.latent_scale:
        raise UserError("--latent-offset/--latent-scale apply to rave models only")
    try:
        t = core.TimbreTransfer(args.model, f0_min=args.f0_min)
    except (core.ModelFileError, ValueError) as exc:
        raise UserError(f"{args.model} is not a usable DDSP model file: {exc}") from exc
    try:
        t.prepare(int(sr), int(args.block))
    except ValueError as exc:
        raise UserError(f"{args.input}: sample rate {sr} Hz is not supported ({exc}); resample it first") from exc
    t.pitch_shift = args.pitch_shift
    t.input_gain_db = args.input_gain
    t.loudness_offset_db = args.loudness_offset
    t.dry, t.wet = args.dry, args.wet
    if args.no_gate:
        t.set_gate(False)
    t.reset()
    lat = t.latency
    n = len(audio)
    extra = lat if args.compensate_latency else 0
    x = np.concatenate([audio, np.zeros(extra, np.float32)])
    y = np.empty_like(x)
    start = time.perf_counter()
    for i in range(0, len(x), args.block):
        t.process(x[i:i + args.block], out=y[i:i + args.block])
    elapsed = time.perf_counter() - start
    if args.compensate_latency:
        y = y[lat:lat + n]
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    sf.write(args.output, y, int(sr), subtype="FLOAT")
    seconds = n / sr
    print(f"latency: {lat} samples = {1000 * t.latency_seconds:.2f} ms at {sr} Hz"
          f" (model {t.model_latency} samples at {t.model_sample_rate} Hz"
          f"{', resampling %.2f ms' % (1000 * t.resampling_delay_seconds) if sr != t.model_sample_rate else ''})"
          f"{' - compensated' if args.compensate_latency else ''}")
    print(f"processed {seconds:.2f} s in {elapsed:.2f} s: real-time factor {elapsed / max(seconds, 1e-9):.3f}"
          f" (block {args.block})")
    print(f"wrote {args.output}")
    return 0


def _run_rave(args, audio, sr) -> int:
    """RAVE forward through the core's RaveEngine, block by block at the file's rate."""
    import numpy as np
    import soundfile as sf

    from rt_synth.cli.errors import UserError
    from rt_synth.synth.rave import load_rave_engine, parse_latent_options

    ddsp_only = [name for name, v, d in (("--pitch-shift", args.pitch_shift, 0.0), ("--input-gain", args.input_gain, 0.0),
                                          ("--loudness-offset", args.loudness_offset, 0.0), ("--dry", args.dry, 0.0),
                                          ("--wet", args.wet, 1.0), ("--f0-min", args.f0_min, 80.0),
                                          ("--no-gate", args.no_gate, False)) if v != d]
    if ddsp_only:
        raise UserError(f"{', '.join(ddsp_only)}: DDSP transfer options; a rave model takes "
                        "--latent-offset/--latent-scale I=V")
    eng = load_rave_engine(args.model, sample_rate=int(sr), max_block=int(args.block),
                           offsets=parse_latent_options(args.latent_offset, "--latent-offset"),
                           scales=parse_latent_options(args.latent_scale, "--latent-scale"))
    lat = eng.latency
    n = len(audio)
    extra = lat if args.compensate_latency else 0
    x = np.concatenate([audio, np.zeros(extra, np.float32)]).astype(np.float32)
    y = np.empty_like(x)
    start = time.perf_counter()
    for i in range(0, len(x), args.block):
        eng.process_into(y[i:i + args.block], x[i:i + args.block])
    elapsed = time.perf_counter() - start
    if args.compensate_latency:
        y = y[lat:lat + n]
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    sf.write(args.output, y, int(sr), subtype="FLOAT")
    seconds = n / sr
    print(f"rave forward: latent size {eng.latent_size}, ratio {eng.ratio}")
    print(f"latency: {lat} samples = {1000 * eng.latency_seconds:.2f} ms at {sr} Hz"
          f" (model {eng.model_latency} samples at {eng.model_rate} Hz"
          f"{', resampling %.2f ms' % (1000 * eng.resampling_delay_seconds) if sr != eng.model_rate else ''})"
          f"{' - compensated' if args.compensate_latency else ''}")
    print(f"processed {seconds:.2f} s in {elapsed:.2f} s: real-time factor {elapsed / max(seconds, 1e-9):.3f}"
          f" (block {args.block})")
    print(f"wrote {args.output}")
    return 0


def _run_effect(args, audio, sr) -> int:
    """An effect model (waveform in, waveform out) through the core's EffectModel."""
    import numpy as np
    import soundfile as sf

    from rt_synth.cli.errors import UserError
    from rt_synth.core import load_core

    defaults = (("--pitch-shift", args.pitch_shift, 0.0), ("--input-gain", args.input_gain, 0.0),
                ("--loudness-offset", args.loudness_offset, 0.0), ("--dry", args.dry, 0.0),
                ("--wet", args.wet, 1.0), ("--f0-min", args.f0_min, 80.0), ("--no-gate", args.no_gate, False),
                ("--latent-offset", bool(args.latent_offset), False), ("--latent-scale", bool(args.latent_scale), False))
    other = [name for name, v, d in defaults if v != d]
    if other:
        raise UserError(f"{', '.join(other)}: not options of an effect model (it takes --block)")
    try:
        m = load_core().EffectModel(args.model)
    except ValueError as exc:
        raise UserError(f"{args.model} is not a usable effect model file: {exc}") from exc
    try:  # another rate than the model's: the core's HostAdapter resamples around it
        m.prepare_host(int(sr), int(args.block))
    except ValueError as exc:
        raise UserError(f"{args.input}: sample rate {sr} Hz is not supported ({exc}); resample it first") from exc
    names = [k["name"] for k in m.knobs]
    for item in args.knob:
        name, sep, value = item.partition("=")
        try:
            v = float(value)
        except ValueError:
            v = float("nan")
        if not sep or v != v:
            raise UserError(f"--knob {item}: give NAME=VALUE with a number, e.g. --knob gain=20")
        if name not in names:
            raise UserError(f"--knob {item}: {args.model} has " +
                            (f"the knobs {', '.join(names)}" if names else "no knobs"))
        m.set_knob(name, v)
    m.reset()  # the history is silence at the knobs just set
    lat = m.host_latency
    n = len(audio)
    extra = lat if args.compensate_latency else 0
    x = np.concatenate([audio.astype(np.float32), np.zeros(extra, np.float32)])
    y = np.empty_like(x)
    start = time.perf_counter()
    for i in range(0, len(x), args.block):
        y[i:i + args.block] = m.process(x[i:i + args.block])
    elapsed = time.perf_counter() - start
    if args.compensate_latency:
        y = y[lat:lat + n]
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    sf.write(args.output, y, int(sr), subtype="FLOAT")
    seconds = n / sr
    print(f"effect ({m.arch}): latency {lat} samples at {sr} Hz"
          + (f" (resampled around the model's {m.sample_rate} Hz)" if int(sr) != m.sample_rate else "")
          + (" - compensated" if args.compensate_latency else "")
          + "".join(f", {k['name']} {m.knob(k['name']):g}" for k in m.knobs))
    print(f"processed {seconds:.2f} s in {elapsed:.2f} s: real-time factor {elapsed / max(seconds, 1e-9):.3f}"
          f" (block {args.block})")
    print(f"wrote {args.output}")
    return 0
