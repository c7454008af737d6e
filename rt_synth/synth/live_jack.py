"""`rt-synth live` on JACK through the native client (csrc/live/jack_live.cpp, docs/live-jack.md).

The audio callback runs in ``rt-synth-jack``, a C++ JACK client over the core's Engine: JACK
MIDI in, engine, every output port, with no Python in the process. This module only finds the
executable, starts it, passes Ctrl-C / SIGTERM on, and reads back its JSON report (the same
keys as the sounddevice path's, plus ``"backend": "jack-native"``).

The executable is built with the package when libjack's headers are present (Debian
``libjack-jackd2-dev``, installed by scripts/setup.sh) and installed next to it
(``rt_synth/rt-synth-jack``); $RT_SYNTH_JACK_CLIENT overrides the path.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from rt_synth.errors import UserError

EXECUTABLE = "rt-synth-jack"


def jack_client_path() -> Path | None:
    """The native client executable, or None when this build has none (no libjack headers)."""
    env = os.environ.get("RT_SYNTH_JACK_CLIENT")
    if env:
        return Path(env)
    import rt_synth

    for d in map(Path, rt_synth.__path__):
        if (d / EXECUTABLE).is_file():
            return d / EXECUTABLE
    return None


def jack_server_running() -> bool:
    """True when a JACK server answers (the one $JACK_DEFAULT_SERVER names, else the default)."""
    lsp = shutil.which("jack_lsp")
    if not lsp:
        return False
    env = dict(os.environ, JACK_NO_START_SERVER="1")
    return subprocess.run([lsp], capture_output=True, timeout=10, env=env).returncode == 0


def client_command(model=None, *, voices=8, block=128, input_port=None, midi_port=None, output_port=None,
                   client_name="rt-synth", duration=None, report=None, record=None, quiet=False,
                   count_xruns=False) -> list[str]:
    exe = jack_client_path()
    if exe is None:
        raise UserError(f"the native JACK client ({EXECUTABLE}) is not built: install libjack-jackd2-dev "
                        "(scripts/setup.sh) and rebuild with `bash scripts/build_core.sh`")
    cmd = [str(exe)]
    if count_xruns:
        cmd.append("--count-xruns")
    else:
        cmd += [str(model), "--voices", str(voices), "--block", str(block)]
    for flag, value in (("--input", input_port), ("--midi-port", midi_port), ("--output", output_port),
                        ("--client-name", client_name), ("--duration", duration), ("--report", report),
                        ("--record", record)):
        if value is not None:
            cmd += [flag, str(value)]
    if quiet:
        cmd.append("--quiet")
    return cmd


def run_live_native(model, midi_port=None, input_device=None, output_device=None, block=128, voices=8,
                    duration=None, report=None, record=None, quiet=False, client_name="rt-synth") -> dict:
    """Runs the native client in the foreground until it stops (duration, Ctrl-C, SIGTERM, the
    server going away) and returns its report. ``input_device``: a JACK capture port name
    substring (e.g. "system"): transfer mode, that port connected to ``CLIENT:in``."""
    with tempfile.TemporaryDirectory(prefix="rt-synth-live-") as tmp:
        rep = Path(report) if report else Path(tmp) / "report.json"
        cmd = client_command(model, voices=voices, block=block, input_port=input_device, midi_port=midi_port,
                             output_port=output_device, client_name=client_name, duration=duration,
                             report=rep, record=record, quiet=quiet)
        proc = subprocess.Popen(cmd)
        forward = lambda signum, _frame: proc.send_signal(signum)  # noqa: E731
        old = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            rc = proc.wait()
        finally:
            for s, h in old.items():
                signal.signal(s, h)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if rc != 0:
            raise UserError(f"{EXECUTABLE} exited with status {rc} (its message is above)")
        return json.loads(rep.read_text())
