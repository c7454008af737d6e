"""`rt-synth live`: the core's Engine on a sound card (sounddevice / PortAudio, JACK included):
the MIDI synth played from a MIDI port (python-rtmidi, JACK MIDI included), or, with
--input DEV, timbre transfer of that input (mic / line in → the model).

The audio callback makes ONE call into the C++ engine (``Engine.live_block``: input channel
→ engine → every output channel, block RMS/peak; GIL released inside, no numpy temporaries,
preallocated buffers) and a few counter updates; MIDI
arrives on rtmidi's thread and is pushed to the engine's lock-free queue, so the MIDI thread
never blocks the audio thread. Every second a status line shows xruns (PortAudio status
flags), the callback load (callback time / block period) and voices. Ctrl-C (SIGINT) or
SIGTERM stops cleanly; --report FILE writes the run's statistics as JSON.

A model of kind "rave" runs the core's RaveEngine instead (docs/rave-engine.md): the input
(mic / line in; silence without --input) → the model's forward → out, MIDI CCs steering the
latent controls (CC 16.. offsets, CC 1 global scale, pitch bend on control 0, CC 121/123).
Without --input, a rave model with a pitch source is played from MIDI instead (mode
"rave-synth": the core's RaveSynth, monophonic legato; docs/rave-engine.md "Playing from MIDI")."""
from __future__ import annotations

import json
import signal
import threading
import time

import numpy as np

from rt_synth.errors import UserError
from rt_synth.synth.engine import load_host_engine


def _import_live():
    try:
        import rtmidi
        import sounddevice as sd
    except (ImportError, OSError) as exc:
        raise UserError(f"live playing needs sounddevice and python-rtmidi: pip install 'rt-synth[live]' "
                        f"(and PortAudio: scripts/setup.sh) — {exc}") from None
    return sd, rtmidi


def _jack_hostapi(sd):
    for i, api in enumerate(sd.query_hostapis()):
        if "JACK" in api["name"] and api["devices"]:
            return i
    return None


def list_devices() -> str:
    sd, rtmidi = _import_live()
    lines = ["Audio devices (sounddevice):", str(sd.query_devices()), "", "MIDI input ports:"]
    for api in rtmidi.get_compiled_api():
        try:
            m = rtmidi.MidiIn(api)
            ports = m.get_ports()
            m.delete()
        except Exception:  # an API compiled in but without a server (e.g. JACK not running)
            continue
        name = rtmidi.get_api_display_name(api)
        lines.append(f"  [{name}] " + (", ".join(ports) if ports else "(none)"))
    return "\n".join(lines)


def _pick_device(sd, spec, kind):
    if spec is None:
        return None
    if str(spec).isdigit():
        return int(spec)
    for i, d in enumerate(sd.query_devices()):
        if str(spec).lower() in d["name"].lower() and d[f"max_{kind}_channels"] > 0:
            return i
    raise UserError(f"no {kind} audio device matching {spec!r}; see `rt-synth live --list`")


def _raise_priority():
    import os
    try:
        prev = (os.sched_getscheduler(0), os.sched_getparam(0))
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
        return prev
    except (AttributeError, OSError):
        return None


def _restore_priority(prev):
    import os
    if prev is not None:
        try:
            os.sched_setscheduler(0, prev[0], prev[1])
        except OSError:
            pass


BACKENDS = ("auto", "jack", "portaudio")


def run_live(model, midi_port=None, input_device=None, output_device=None, block=128, voices=8,
             duration=None, report=None, record=None, quiet=False, client_name="rt-synth",
             backend="auto") -> dict:
    """backend "auto": the native JACK client (rt_synth.synth.live_jack) when a JACK server runs,
    the client is built and the model is a DDSP one; else sounddevice. "jack" insists on the
    native client, "portaudio" on sounddevice."""
    if backend not in BACKENDS:
        raise UserError(f"--backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend != "portaudio":
        from rt_synth.synth import live_jack
        from rt_synth.synth.rave import model_kind
        rave = model_kind(model) == "rave"
        if backend == "jack" and rave:
            raise UserError(f"{model}: a RAVE model runs on the sounddevice path only (--backend portaudio)")
        if backend == "jack" and not live_jack.jack_server_running():
            raise UserError("--backend jack: no JACK server answers (start jackd, or use --backend portaudio)")
        if backend == "jack" or (not rave and live_jack.jack_client_path() is not None
                                 and live_jack.jack_server_running()):
            return live_jack.run_live_native(model, midi_port=midi_port, input_device=input_device,
                                             output_device=output_device, block=block, voices=voices,
                                             duration=duration, report=report, record=record, quiet=quiet,
                                             client_name=client_name)
    sd, rtmidi = _import_live()
    import sys
    sys.setswitchinterval(0.0005)  # the audio callback needs the GIL: never wait 5 ms for it
    from rt_synth.synth.rave import has_pitch_source, load_rave_engine, load_rave_synth, model_kind
    if model_kind(model) == "rave":
        if input_device is None and has_pitch_source(model):
            mode = "rave-synth"  # notes drive the pitch source; CCs the latent and the loudness
            eng = load_rave_synth(model, max_block=block)
            voices = 1
        else:
            mode = "rave"
            eng = load_rave_engine(model, max_block=block)
    else:
        mode = "transfer" if input_device is not None else "synth"
        # max_block = the device block: below the hop the synth spreads its network step over the
        # frame's blocks (lookahead, +1 frame of latency); longer callbacks are split by the core.
        eng = load_host_engine(model, voices=voices, max_block=block, mode=mode)
    sr = eng.sample_rate
    jack = _jack_hostapi(sd)
    out_dev = _pick_device(sd, output_device, "output")
    in_dev = _pick_device(sd, input_device, "input")
    if out_dev is None and jack is not None:
        out_dev = sd.query_hostapis(jack)["default_output_device"]
    out_channels = max(1, min(2, sd.query_devices(out_dev if out_dev is not None else sd.default.device[1],
                                                  "output")["max_output_channels"]))

    # MIDI: JACK MIDI when a JACK server is up, else the platform default API.
    api = rtmidi.API_UNSPECIFIED
    if jack is not None and rtmidi.API_UNIX_JACK in rtmidi.get_compiled_api():
        api = rtmidi.API_UNIX_JACK
    midi = rtmidi.MidiIn(api, name=client_name)
    midi.ignore_types(sysex=True, timing=True, active_sense=True)
    port_name = "midi_in"
    if midi_port:
        ports = midi.get_ports()
        idx = next((i for i, p in enumerate(ports) if midi_port.lower() in p.lower()), None)
        if idx is None:
            midi.delete()
            raise UserError(f"no MIDI input port matching {midi_port!r} (have: {ports}); see --list")
        midi.open_port(idx)
        port_name = ports[idx]
    else:
        midi.open_virtual_port(port_name)
    n_midi = [0]

    def on_midi(event, _data=None):
        msg, _dt = event
        eng.push_midi(bytes(msg), 0)  # lock-free; takes effect at the next frame boundary
        n_midi[0] += 1

    midi.set_callback(on_midi)

    st = {"blocks": 0, "xruns": 0, "load_max": 0.0, "load_sum": 0.0, "sq": 0.0, "n": 0, "peak": 0.0,
          "max_voices": 0, "callback_errors": 0}
    scratch = np.zeros(2 * max(block, 8192), np.float32)
    rec = np.zeros(int(sr * (duration or 600)), np.float32) if record else None
    rec_pos = [0]
    period = block / sr

    def callback(*args):
        t0 = time.perf_counter()
        if in_dev is not None:
            indata, outdata, frames, status = args[0], args[1], args[2], args[4]
        else:
            indata, outdata, frames, status = None, args[0], args[1], args[3]
        try:
            if status.output_underflow or status.input_overflow or status.output_overflow or status.input_underflow:
                st["xruns"] += 1
            sq, pk = eng.live_block(outdata, indata, scratch)
            st["sq"] += sq
            st["n"] += frames
            if pk > st["peak"]:
                st["peak"] = pk
            if rec is not None:
                k = min(frames, len(rec) - rec_pos[0])
                rec[rec_pos[0]:rec_pos[0] + k] = scratch[:k]
                rec_pos[0] += k
        except Exception:
            outdata.fill(0)
            st["callback_errors"] += 1
        st["blocks"] += 1
        load = (time.perf_counter() - t0) / (frames / sr if frames else period)
        st["load_max"] = max(st["load_max"], load)
        st["load_sum"] += load

    kw = dict(samplerate=sr, blocksize=block, dtype="float32", callback=callback, latency="low")
    try:
        if in_dev is not None:
            stream = sd.Stream(device=(in_dev, out_dev), channels=(1, out_channels), **kw)
        else:
            stream = sd.OutputStream(device=out_dev, channels=out_channels, **kw)
    except Exception as exc:
        midi.delete()
        raise UserError(f"cannot open the audio device at {sr} Hz, block {block}: {exc}") from None

    # The callback needs the GIL. A normal-priority thread that takes it (this main loop) and is
    # then preempted by other load makes the callback wait for it: priority inversion, xruns.
    # So this thread wakes rarely (every 0.5 s) and, where allowed, runs at a low real-time
    # priority while the stream runs (it does microseconds of work per wake-up).
    old_sched = _raise_priority()
    stop = threading.Event()
    old = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    t_start = time.time()
    with stream:
        if not quiet:
            print(f"live: {mode} mode, {voices} voices, block {block} @ {sr} Hz, engine latency "
                  f"{eng.latency} samples, output latency "
                  f"{stream.latency if isinstance(stream.latency, float) else stream.latency[1]:.4f} s; "
                  f"MIDI in: {client_name}:{port_name}. Ctrl-C stops.", flush=True)
        last = time.time()
        while not stop.is_set():
            stop.wait(0.5)
            s = eng.stats()
            st["max_voices"] = max(st["max_voices"], s["active_voices"])
            if duration is not None and time.time() - t_start >= duration:
                break
            if not quiet and time.time() - last >= 1.0:
                last = time.time()
                mean = st["load_sum"] / max(1, st["blocks"])
                print(f"  t={last - t_start:5.1f}s xruns={st['xruns']} load mean {100 * mean:4.1f}% "
                      f"max {100 * st['load_max']:5.1f}% voices={s['active_voices']} midi={n_midi[0]}",
                      flush=True)
    for s, h in old.items():
        signal.signal(s, h)
    _restore_priority(old_sched)
    midi.cancel_callback()
    midi.close_port()
    midi.delete()
    seconds = time.time() - t_start
    result = {
        "seconds": seconds, "sample_rate": sr, "block": block, "voices": voices, "mode": mode,
        "engine_latency_samples": int(eng.latency), "lookahead_frames": int(getattr(eng, "lookahead_frames", 0)),
        "blocks": st["blocks"], "xruns": st["xruns"], "callback_errors": st["callback_errors"],
        "callback_load_max": st["load_max"], "callback_load_mean": st["load_sum"] / max(1, st["blocks"]),
        "rms": float(np.sqrt(st["sq"] / max(1, st["n"]))), "peak": st["peak"],
        "midi_messages": n_midi[0], "max_active_voices": st["max_voices"],
        "events_dropped": eng.stats()["events_dropped"], "midi_port": f"{client_name}:{port_name}",
        "jack": jack is not None, "backend": "portaudio",
    }
    if mode == "rave":
        result.update(latent_size=int(eng.latent_size), cc_applied=int(eng.stats()["cc_applied"]),
                      latent_offsets=[float(eng.effective_offset(i)) for i in range(eng.latent_size)],
                      latent_scales=[float(eng.effective_scale(i)) for i in range(eng.latent_size)])
    elif mode == "rave-synth":
        result.update(latent_size=int(eng.latent_size), cc_applied=int(eng.stats()["cc_applied"]),
                      notes_on=int(eng.stats()["notes_on"]),
                      latent_offsets=[float(eng.latent_offset(i)) for i in range(eng.latent_size)])
    if record:
        import soundfile as sf
        sf.write(str(record), rec[:rec_pos[0]], sr, subtype="FLOAT")
        result["record"] = str(record)
    if report:
        with open(report, "w") as f:
            json.dump(result, f, indent=2)
    if not quiet:
        print(f"live: stopped after {seconds:.1f} s: {st['blocks']} blocks, xruns {st['xruns']}, "
              f"callback load mean {100 * result['callback_load_mean']:.1f}% max {100 * st['load_max']:.1f}%",
              flush=True)
    return result
