"""A headless JACK session for checks and benchmarks: a dummy-driver jackd, `rt-synth live`
on it, and notes held through a JACK MIDI port (python-rtmidi's JACK API).

    python3 -m rt_synth.synth.jack_session MODEL [--seconds 60] [--voices 8] [--block 128] [--backend B]
    python3 -m rt_synth.synth.jack_session MODEL --compare-metro [--with-portaudio] [--seconds 60]

prints the live report (xruns, callback errors, callback load, voices) as JSON; --compare-metro
measures jack_metro's xruns and rt-synth live's on the same server in one run. Used by
tests/synth/test_live_jack.py and test_rave_live_jack.py (4 s runs) and for the 60 s
acceptance figures (docs/synth-engine.md).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
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
def dummy_jack(server: str, rate: int = 48000, period: int = 128, log: str | Path | None = None):
    """jackd -d dummy under its own server name; yields the environment that selects it.
    The server's messages (xrun notices among them) go to `log` (default: discarded)."""
    jackd = shutil.which("jackd")
    if not jackd:
        raise RuntimeError("jackd not found: run scripts/setup.sh (installs jackd2)")
    env = dict(os.environ, JACK_DEFAULT_SERVER=server, JACK_NO_AUDIO_RESERVATION="1")
    sink = open(log, "w") if log else subprocess.DEVNULL
    jack = subprocess.Popen([jackd, "-n", server, "-d", "dummy", "-r", str(rate), "-p", str(period)],
                            env=env, stdout=sink, stderr=subprocess.STDOUT)
    if log:
        sink.close()
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

        def live_inputs():  # the sounddevice path's PortAudio ports, or the native client's
            return [p for p in jack_ports(server, env).split()
                    if (p.startswith("PortAudio") and ":in" in p) or p == "rt-synth:in"]

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


def hold_notes_on(server: str, env: dict, model: str, seconds: float, voices: int = 8, block: int = 128,
                  report: str | Path | None = None, notes=CHORD, backend: str | None = None) -> dict:
    """On the running server `server`: starts `rt-synth live` (``--backend`` when given), holds
    `notes` for `seconds` through a JACK MIDI port, releases them, stops live with SIGINT and
    returns its report."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(report) if report else Path(tmp) / "live.json"
        extra = ["--backend", backend] if backend else []
        live = start_live(model, env, report, "--block", str(block), "--voices", str(voices), *extra)
        try:
            if not wait_for(lambda: "rt-synth:midi_in" in jack_ports(server, env), 30):
                raise RuntimeError("live never opened its JACK MIDI port")
            # The sender leaves the server while the notes are held, so that the graph during
            # the measured seconds is rt-synth alone (a Python MIDI client in it would add
            # xruns of its own).
            with midi_sender(server, env, "rtsynth-sender") as out:
                time.sleep(0.3)
                for note in notes:
                    out.send_message([0x90, note, 100])
                time.sleep(0.3)
            t0 = time.monotonic()  # the measured window: the notes sound, the sender has left
            time.sleep(seconds)
            t1 = time.monotonic()
            with midi_sender(server, env, "rtsynth-sender") as out:
                time.sleep(0.3)
                for note in notes:
                    out.send_message([0x80, note, 0])
                time.sleep(0.7)
            stop_live(live)
        finally:
            if live.poll() is None:
                live.kill()
                live.wait()
        return with_window(json.loads(report.read_text()), t0, t1)


def with_window(report: dict, t0: float, t1: float) -> dict:
    """`report` with the measured window (monotonic seconds) and the xruns notified inside it
    (from the native client's "xrun_times"; None for a client that does not list them)."""
    times = report.get("xrun_times")
    report["window_s"] = [t0, t1]
    report["xruns_in_window"] = None if times is None else sum(t0 <= t < t1 for t in times)
    return report


def new_server_name(tag: str = "rtsynth") -> str:
    return f"{tag}-{os.getpid()}-{int(time.time() * 1000) % 100000}"


def hold_notes_live(model: str, seconds: float, voices: int = 8, block: int = 128,
                    report: str | Path | None = None, notes=CHORD, backend: str | None = None) -> dict:
    """`hold_notes_on` on a fresh dummy JACK server (period `block`)."""
    server = new_server_name()
    with dummy_jack(server, period=block) as env:
        return hold_notes_on(server, env, model, seconds, voices, block, report, notes, backend)


def metro_xruns_on(server: str, env: dict, seconds: float, settle: float = 1.0) -> dict:
    """jack_metro (a trivial C client: 880 Hz beeps at 120 bpm) on `server`, with the native
    client's xrun probe (`rt-synth-jack --count-xruns`: an empty process callback and the
    server's xrun notifications) for settle + seconds + 1 s. Returns the probe's report (xruns,
    blocks, seconds), with the xruns of the `seconds` after the first `settle` ones
    ("xruns_in_window", the window an rt-synth phase is counted over too)."""
    from rt_synth.synth.live_jack import client_command

    metro = shutil.which("jack_metro")
    if not metro:
        raise RuntimeError("jack_metro not found: run scripts/setup.sh (installs jackd2)")
    with tempfile.TemporaryDirectory() as tmp:
        rep = Path(tmp) / "probe.json"
        tone = subprocess.Popen([metro, "-n", "metro", "-b", "120"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            if not wait_for(lambda: "metro:" in jack_ports(server, env), 10):
                raise RuntimeError("jack_metro never appeared on the server")
            t0 = time.monotonic() + settle
            probe = subprocess.run(client_command(count_xruns=True, client_name="xrun-probe",
                                                  duration=settle + seconds + 1.0, report=rep, quiet=True),
                                   env=env, capture_output=True, text=True, timeout=seconds + 60)
            if probe.returncode != 0:
                raise RuntimeError("xrun probe failed: " + probe.stdout + probe.stderr)
        finally:
            tone.terminate()
            try:
                tone.wait(timeout=10)
            except subprocess.TimeoutExpired:
                tone.kill()
                tone.wait()
        return with_window(json.loads(rep.read_text()), t0, t0 + seconds)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def xrun_notices(log_text: str) -> dict:
    """What jackd said about its xruns: late driver wake-ups (the host's own: 'JackTimedDriver::
    Process XRun') and, per client, cycles it had not finished ('client = NAME was not finished')."""
    out = {"driver_late": log_text.count("JackTimedDriver::Process XRun"), "client_not_finished": {}}
    for m in re.finditer(r"client = (\S+) was not finished", log_text):
        out["client_not_finished"][m.group(1)] = out["client_not_finished"].get(m.group(1), 0) + 1
    return out


def compare_metro(model: str, seconds: float, voices: int = 8, block: int = 128,
                  backends=("jack",), rounds: int = 6) -> dict:
    """One dummy server (48 kHz, period `block`), `rounds` rounds of: seconds/rounds of jack_metro
    + the xrun probe, then seconds/rounds of `rt-synth live` per backend holding `voices` notes
    (interleaved, so the machine's changing load falls on every phase alike). Returns each
    client's total xruns, jackd's own notices per phase, and the load average before/after;
    with the native clients' xrun times, also the xruns of each phase's measured window
    ("xruns_in_window": the same seconds/rounds for every phase, with only the measured
    clients in the graph: not the MIDI sender that holds and releases rt-synth's notes, nor
    the start and stop of either client) and their ratio ("ratio_B_window")."""
    seg = seconds / rounds
    server = new_server_name("rtsynth-cmp")
    names = ["jack_metro"] + ["rt_synth_" + b for b in backends]
    out = {"server": f"jackd -d dummy -r 48000 -p {block}", "seconds": seconds, "rounds": rounds,
           "voices": voices, "block": block, "load_average_before": load_average(),
           **{n: {"xruns": 0, "blocks": 0, "callback_errors": 0, "runs": [], "jackd": {}} for n in names}}
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "jackd.log"
        with dummy_jack(server, period=block, log=log) as env:
            time.sleep(1.0)  # let the server settle
            for _ in range(rounds):
                for n in names:
                    start = log.stat().st_size
                    r = (metro_xruns_on(server, env, seg) if n == "jack_metro" else
                         hold_notes_on(server, env, model, seg, voices, block, notes=CHORD[:voices],
                                       backend=n[len("rt_synth_"):]))
                    with open(log, errors="replace") as f:
                        f.seek(start)
                        notices = xrun_notices(f.read())
                    tot = out[n]
                    tot["xruns"] += r["xruns"]
                    if r.get("xruns_in_window") is not None:
                        tot["xruns_in_window"] = tot.get("xruns_in_window", 0) + r["xruns_in_window"]
                    tot["blocks"] += r["blocks"]
                    tot["xruns_per_minute"] = tot["xruns"] / max(1e-9, tot["blocks"] * block / 48000 / 60)
                    tot["callback_errors"] += r.get("callback_errors", 0)
                    tot["runs"].append(r)
                    tot["jackd"]["driver_late"] = tot["jackd"].get("driver_late", 0) + notices["driver_late"]
                    for c, k in notices["client_not_finished"].items():
                        key = "not_finished:" + c
                        tot["jackd"][key] = tot["jackd"].get(key, 0) + k
    out["load_average_after"] = load_average()
    for n in names:  # jackd's own count: the same yardstick for every client (PortAudio's status
        # flags merge the xruns between two callbacks into one, and count only while its stream runs)
        out[n]["jackd_notices"] = sum(out[n]["jackd"].values())

    def ratio(x, m):
        return (x / m) if m else (0.0 if x == 0 else float("inf"))
    for b in backends:
        out[f"ratio_{b}"] = ratio(out["rt_synth_" + b]["xruns"], out["jack_metro"]["xruns"])
        out[f"ratio_{b}_jackd_notices"] = ratio(out["rt_synth_" + b]["jackd_notices"],
                                                out["jack_metro"]["jackd_notices"])
        if "xruns_in_window" in out["rt_synth_" + b]:
            out[f"ratio_{b}_window"] = ratio(out["rt_synth_" + b]["xruns_in_window"],
                                             out["jack_metro"]["xruns_in_window"])
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--voices", type=int, default=8)
    p.add_argument("--block", type=int, default=128)
    p.add_argument("--backend", choices=("auto", "jack", "portaudio"), default=None,
                   help="rt-synth live --backend (default: live's own choice, auto)")
    p.add_argument("--compare-metro", action="store_true",
                   help="on one dummy server: SECONDS of jack_metro (xruns counted by an empty probe "
                        "client), then SECONDS of rt-synth live (native JACK client); print both")
    p.add_argument("--with-portaudio", action="store_true",
                   help="with --compare-metro: also SECONDS of the sounddevice path on the same server")
    p.add_argument("--rounds", type=int, default=6,
                   help="with --compare-metro: interleave the phases in this many rounds (default 6, "
                        "so that the host's bursts of stalls fall on every phase alike)")
    a = p.parse_args(argv)
    if a.compare_metro:
        backends = ("jack", "portaudio") if a.with_portaudio else ("jack",)
        r = compare_metro(a.model, a.seconds, a.voices, a.block, backends, a.rounds)
        print(json.dumps(r, indent=1))
        for n in ["jack_metro"] + ["rt_synth_" + b for b in backends]:
            win = r[n].get("xruns_in_window")
            print(f"  {n:20s} xruns {r[n]['xruns']:4d} in {r[n]['blocks']} blocks "
                  f"({r[n]['xruns_per_minute']:.1f}/min)"
                  + (f", {win} in the measured windows" if win is not None else "")
                  + f"; jackd notices {r[n]['jackd_notices']}: {r[n]['jackd']}")
        print(f"xruns in {a.seconds:g} s each, {a.voices} voices, block {a.block}, load average "
              f"{r['load_average_before']} -> {r['load_average_after']}: jack_metro {r['jack_metro']['xruns']}"
              + "".join(f", rt-synth ({b}) {r['rt_synth_' + b]['xruns']} ({r['ratio_' + b]:.2f}x)"
                        for b in backends)
              + "; jackd's notices: jack_metro " + str(r["jack_metro"]["jackd_notices"])
              + "".join(f", rt-synth ({b}) {r['rt_synth_' + b]['jackd_notices']} "
                        f"({r['ratio_' + b + '_jackd_notices']:.2f}x)" for b in backends)
              + "".join(f"; in the measured windows ({a.seconds:g} s each): jack_metro "
                        f"{r['jack_metro']['xruns_in_window']}, rt-synth ({b}) "
                        f"{r['rt_synth_' + b]['xruns_in_window']} ({r['ratio_' + b + '_window']:.2f}x)"
                        for b in backends if 'ratio_' + b + '_window' in r))
        return 0 if all(r["rt_synth_" + b].get("callback_errors", 1) == 0 for b in backends) else 1
    stats = hold_notes_live(a.model, a.seconds, a.voices, a.block, notes=CHORD[:a.voices], backend=a.backend)
    print(json.dumps(stats, indent=1))
    return 0 if stats.get("callback_errors", 1) == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
