"""`rt-synth live` under a dummy JACK server (headless): MIDI sent from another JACK MIDI
client through a JACK MIDI port, audio produced, stopped with SIGINT, stats in --report.
Fails (does not skip) when jackd is missing: run scripts/setup.sh (installs jackd2)."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _wait_for(pred, timeout):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if pred():
            return True
        time.sleep(0.1)
    return False


def test_live_under_dummy_jack(synth_model, tmp_path):
    jackd = shutil.which("jackd")
    assert jackd, "jackd not found: run scripts/setup.sh (installs jackd2)"
    rtmidi = pytest.importorskip("rtmidi")
    server = f"rtsynth-test-{os.getpid()}"
    env = dict(os.environ, JACK_DEFAULT_SERVER=server, JACK_NO_AUDIO_RESERVATION="1")
    jack = subprocess.Popen([jackd, "-n", server, "-d", "dummy", "-r", "48000", "-p", "128"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    live = None
    try:
        assert _wait_for(lambda: subprocess.run(["jack_lsp", "-s", server], env=env, capture_output=True)
                         .returncode == 0, 10), "jackd did not start"
        report = tmp_path / "live.json"
        live = subprocess.Popen([sys.executable, "-m", "rt_synth.cli.main", "live", synth_model, "--block", "128",
                                 "--voices", "8", "--report", str(report), "--quiet"], env=env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

        def port_up():
            r = subprocess.run(["jack_lsp", "-s", server], env=env, capture_output=True, text=True)
            return "rt-synth:midi_in" in r.stdout
        assert _wait_for(port_up, 30), "live never opened its JACK MIDI port"
        old = os.environ.get("JACK_DEFAULT_SERVER")
        os.environ["JACK_DEFAULT_SERVER"] = server
        try:
            out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name="rtsynth-test-sender")
            out.open_virtual_port("out")
            r = subprocess.run(["jack_connect", "-s", server, "rtsynth-test-sender:out", "rt-synth:midi_in"],
                               env=env, capture_output=True, text=True)
            assert r.returncode == 0, r.stdout + r.stderr
            time.sleep(0.3)
            for note in (48, 52, 55, 60, 64, 67, 72, 76):
                out.send_message([0x90, note, 100])
            time.sleep(4.0)
            for note in (48, 52, 55, 60, 64, 67, 72, 76):
                out.send_message([0x80, note, 0])
            time.sleep(0.7)
            out.close_port()
            out.delete()
        finally:
            if old is None:
                del os.environ["JACK_DEFAULT_SERVER"]
            else:
                os.environ["JACK_DEFAULT_SERVER"] = old
        live.send_signal(signal.SIGINT)
        text, _ = live.communicate(timeout=30)
        assert live.returncode == 0, text
        stats = json.loads(report.read_text())
        print(stats)
        assert stats["jack"], stats
        assert stats["midi_messages"] >= 16, stats
        assert stats["max_active_voices"] == 8, stats
        assert stats["rms"] > 1e-3 and stats["peak"] > 1e-2, stats
        assert stats["callback_errors"] == 0, stats
        assert stats["blocks"] > 4.0 * 48000 / 128 * 0.9, stats
    finally:
        if live is not None and live.poll() is None:
            live.kill()
            live.wait()
        jack.send_signal(signal.SIGTERM)
        try:
            jack.wait(timeout=10)
        except subprocess.TimeoutExpired:
            jack.kill()
            jack.wait()


def test_live_transfer_input_under_dummy_jack(synth_model, tmp_path):
    """`rt-synth live --input system`: timbre transfer of the input. A jack_metro tone (440 Hz
    beeps, 300 ms every 0.5 s) is connected to live's input port; the report must say
    transfer mode, no callback errors, and non-silent output (the model follows the input)."""
    jackd = shutil.which("jackd")
    assert jackd, "jackd not found: run scripts/setup.sh (installs jackd2)"
    metro = shutil.which("jack_metro")
    if not metro:
        pytest.skip("jack_metro (jack example clients) not installed")
    server = f"rtsynth-tt-{os.getpid()}"
    env = dict(os.environ, JACK_DEFAULT_SERVER=server, JACK_NO_AUDIO_RESERVATION="1")
    jack = subprocess.Popen([jackd, "-n", server, "-d", "dummy", "-r", "48000", "-p", "128"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    live = tone = None
    try:
        assert _wait_for(lambda: subprocess.run(["jack_lsp", "-s", server], env=env, capture_output=True)
                         .returncode == 0, 10), "jackd did not start"
        tone = subprocess.Popen([metro, "-n", "tone", "-f", "440", "-A", "0.5", "-D", "300", "-b", "120"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        report = tmp_path / "live_tt.json"
        live = subprocess.Popen([sys.executable, "-m", "rt_synth.cli.main", "live", synth_model, "--block", "128",
                                 "--input", "system", "--report", str(report), "--quiet"], env=env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

        def live_inputs():
            r = subprocess.run(["jack_lsp", "-s", server], env=env, capture_output=True, text=True)
            return [p for p in r.stdout.split() if p.startswith("PortAudio") and ":in" in p]
        assert _wait_for(lambda: live_inputs() and "tone:" in
                         subprocess.run(["jack_lsp", "-s", server], env=env, capture_output=True, text=True).stdout,
                         30), "live (PortAudio input) or jack_metro never appeared"
        for port in live_inputs():
            r = subprocess.run(["jack_connect", "-s", server, "tone:120_bpm", port], env=env,
                               capture_output=True, text=True)
            assert r.returncode == 0, r.stdout + r.stderr
        time.sleep(4.0)
        live.send_signal(signal.SIGINT)
        text, _ = live.communicate(timeout=30)
        assert live.returncode == 0, text
        stats = json.loads(report.read_text())
        print(stats)
        assert stats["mode"] == "transfer", stats
        assert stats["callback_errors"] == 0, stats
        assert stats["blocks"] > 3.5 * 48000 / 128 * 0.9, stats
        assert stats["rms"] > 1e-3 and stats["peak"] > 1e-2, stats
    finally:
        for p in (live, tone):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        jack.send_signal(signal.SIGTERM)
        try:
            jack.wait(timeout=10)
        except subprocess.TimeoutExpired:
            jack.kill()
            jack.wait()
