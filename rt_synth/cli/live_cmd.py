"""`rt-synth live MODEL`: play the synth engine from a MIDI port on a sound card or JACK."""
from __future__ import annotations

from rt_synth.cli.errors import UserError


def register(sub):
    p = sub.add_parser("live", help="play a model live from MIDI (sounddevice + python-rtmidi, JACK included)")
    p.add_argument("model", nargs="?", help="model file or name (.rtsynth, kind ddsp, or rave: --input runs its forward "
                                             "with MIDI CCs steering the latent, docs/rave-engine.md)")
    p.add_argument("--midi-port", help="MIDI input port to open (substring); default: a new virtual port "
                                      "'rt-synth:midi_in' to connect to")
    p.add_argument("--input", help="input audio device (name substring or index): runs timbre transfer of that input "
                                      "instead of the MIDI synth")
    p.add_argument("--output", help="output audio device (name substring or index)")
    p.add_argument("--block", type=int, default=128, help="audio block size (default 128)")
    p.add_argument("--voices", type=int, default=8, help="voices 1..32 (default 8)")
    p.add_argument("--list", action="store_true", help="list audio devices and MIDI ports, then exit")
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    p.add_argument("--report", help="write run statistics (xruns, callback load, RMS, ...) as JSON")
    p.add_argument("--record", help="also write the output to this WAV file")
    p.add_argument("--quiet", action="store_true", help="no status lines")
    p.add_argument("--backend", choices=("auto", "jack", "portaudio"), default="auto",
                   help="auto (default): the native JACK client when a JACK server runs (DDSP models), else "
                        "sounddevice; jack / portaudio force one (docs/live-jack.md)")
    p.set_defaults(func=run)


def run(args):
    from rt_synth.synth.live import list_devices, run_live

    if args.list:
        print(list_devices())
        return 0
    if not args.model:
        raise UserError("give a model file or name (rt-synth models lists them), or --list")
    from rt_synth.model_locator import resolve_model

    args.model = str(resolve_model(args.model))
    r = run_live(args.model, midi_port=args.midi_port, input_device=args.input, output_device=args.output,
                 block=args.block, voices=args.voices, duration=args.duration, report=args.report,
                 record=args.record, quiet=args.quiet, backend=args.backend)
    return 1 if r["callback_errors"] else 0
