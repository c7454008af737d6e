"""A headless JACK session for checks and benchmarks: a dummy-driver jackd, `rt-synth live`
on it, and notes held through a JACK MIDI port (python-rtmidi's JACK API).

    python3 -m rt_synth.synth.jack_session MODEL [--seconds 60] [--voices 8] [--block 128]

prints the live report (xruns, callback errors, callback load, voices) as JSON. Used by
tests/synth/test_live_jack.py and test_rave_live_jack.py (4 s runs) and for the 60 s
acceptance figures (docs/synth-engine.md).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHORD = (48, 52, 55, 60, 64, 67, 72, 76)


def wait_for(pred, timeout: float) -> bool:
    t0 = time.time()
    while time.time() - t0 < timeout:
        if pred():
            return True
        time.sleep(0.1)
    return False


def jack_ports(server: str, env: dict) -> str:
    return subprocess.run(["jack_lsp", "-s", server], env=env, capture_output=True, text=True).stdout


@contextlib.contextmanager
def dummy_jack(server: str, rate: int = 48000, period: int = 128):
    """jackd -d dummy under its own server name; yields the environment that selects it."""
    jackd = shutil.which("jackd")
    if not jackd:
        raise RuntimeError("jackd not found: run scripts/setup.sh (installs jackd2)")
    env = dict(os.environ, JACK_DEFAULT_SERVER=server, JACK_NO_AUDIO_RESERVATION="1")
    jack = subprocess.Popen([jackd, "-n", server, "-d", "dummy", "-r", str(rate), "-p", str(period)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        if not wait_for(lambda: subprocess.run(["jack_lsp", "-s", server], env=env,
                                               capture_output=True).returncode == 0, 10):
            raise RuntimeError("jackd did not start")
        yield env
    finally:
        jack.send_signal(signal.SIGTERM)
        try:
            jack.wait(timeout=10)
        except subprocess.TimeoutExpired:
            jack.kill()
            jack.wait()


@contextlib.contextmanager
def midi_sender(server: str, env: dict, name: str, dest: str = "rt-synth:midi_in"):
    """A python-rtmidi JACK MIDI output on `server`, connected to `dest`; yields the MidiOut."""
    import rtmidi

    old = os.environ.get("JACK_DEFAULT_SERVER")
    os.environ["JACK_DEFAULT_SERVER"] = server  # rtmidi's JACK client reads it
    out = None
    try:
        out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name=name)
        out.open_virtual_port("out")
        r = subprocess.run(["jack_connect", "-s", server, f"{name}:out", dest], env=env,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("jack_connect failed: " + r.stdout + r.stderr)
        yield out
    finally:
        if out is not None:
            out.close_port()
            out.delete()
        if old is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = old


def start_live(model: str, env: dict, report: str | Path, *args: str) -> subprocess.Popen:
    """`rt-synth live MODEL ARGS --report REPORT --quiet` on the server `env` selects."""
    return subprocess.Popen([sys.executable, "-m", "rt_synth.cli.main", "live", str(model), *args,
                             "--report", str(report), "--quiet"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop_live(live: subprocess.Popen) -> None:
    """SIGINT (what Ctrl-C sends), then its exit code must be 0."""
    live.send_signal(signal.SIGINT)
    text, _ = live.communicate(timeout=30)
    if live.returncode != 0:
        raise RuntimeError(f"rt-synth live exited {live.returncode}:\n{text}")


@contextlib.contextmanager
def live_with_tone_input(model: str, server: str, env: dict, report: str | Path,
                         wait_midi_port: bool = False):
    """jack_metro (440 Hz beeps, 300 ms every 0.5 s) into `rt-synth live MODEL --input system`
    (block 128) on `server`; yields the live process, stopped with SIGINT on exit (its exit
    code checked). Both processes are killed if anything fails."""
    metro = shutil.which("jack_metro")
    if not metro:
        raise RuntimeError("jack_metro not found: run scripts/setup.sh (installs jackd2)")
    tone = live = None
    try:
        tone = subprocess.Popen([metro, "-n", "tone", "-f", "440", "-A", "0.5", "-D", "300",
                                 "-b", "120"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        live = start_live(model, env, report, "--block", "128", "--input", "system")

        def live_inputs():
            return [p for p in jack_ports(server, env).split()
                    if p.startswith("PortAudio") and ":in" in p]

        def all_up():
            ports = jack_ports(server, env)
            return (live_inputs() and "tone:" in ports
                    and (not wait_midi_port or "rt-synth:midi_in" in ports))
        if not wait_for(all_up, 30):
            raise RuntimeError("live (PortAudio input, MIDI port) or jack_metro never appeared")
        for port in live_inputs():
            r = subprocess.run(["jack_connect", "-s", server, "tone:120_bpm", port], env=env,
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError("jack_connect failed: " + r.stdout + r.stderr)
        yield live
        stop_live(live)
    finally:
        for p in (live, tone):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()


def hold_notes_live(model: str, seconds: float, voices: int = 8, block: int = 128,
                    report: str | Path | None = None, notes=CHORD) -> dict:
    """Runs `rt-synth live` on a fresh dummy JACK server, holds `notes` for `seconds` through
    a JACK MIDI port, releases them, stops live with SIGINT and returns its report."""
    server = f"rtsynth-{os.getpid()}-{int(time.time() * 1000) % 100000}"
    with tempfile.TemporaryDirectory() as tmp, dummy_jack(server) as env:
        report = Path(report) if report else Path(tmp) / "live.json"
        live = start_live(model, env, report, "--block", str(block), "--voices", str(voices))
        try:
            if not wait_for(lambda: "rt-synth:midi_in" in jack_ports(server, env), 30):
                raise RuntimeError("live never opened its JACK MIDI port")
            with midi_sender(server, env, "rtsynth-sender") as out:
                time.sleep(0.3)
                for note in notes:
                    out.send_message([0x90, note, 100])
                time.sleep(seconds)
                for note in notes:
                    out.send_message([0x80, note, 0])
                time.sleep(0.7)
            stop_live(live)
        finally:
            if live.poll() is None:
                live.kill()
                live.wait()
        return json.loads(report.read_text())


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--voices", type=int, default=8)
    p.add_argument("--block", type=int, default=128)
    a = p.parse_args(argv)
    stats = hold_notes_live(a.model, a.seconds, a.voices, a.block, notes=CHORD[:a.voices])
    print(json.dumps(stats, indent=1))
    return 0 if stats.get("callback_errors", 1) == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
