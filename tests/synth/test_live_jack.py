"""`rt-synth live` under a dummy JACK server (headless): MIDI sent from another JACK MIDI
client through a JACK MIDI port, audio produced, stopped with SIGINT, stats in --report.
Fails (does not skip) when jackd, jack_metro or python-rtmidi is missing: scripts/setup.sh
installs them (jackd2, the [live] extra). Server and MIDI sender: rt_synth/synth/jack_session.py."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time


from rt_synth.synth.jack_session import dummy_jack, hold_notes_live, jack_ports, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_live_under_dummy_jack(synth_model, tmp_path):
    stats = hold_notes_live(synth_model, 4.0, voices=8, block=128, report=tmp_path / "live.json")
    print(stats)
    assert stats["jack"], stats
    assert stats["midi_messages"] >= 16, stats
    assert stats["max_active_voices"] == 8, stats
    assert stats["rms"] > 1e-3 and stats["peak"] > 1e-2, stats
    assert stats["callback_errors"] == 0, stats
    assert stats["blocks"] > 4.0 * 48000 / 128 * 0.9, stats


def test_live_transfer_input_under_dummy_jack(synth_model, tmp_path):
    """`rt-synth live --input system`: timbre transfer of the input. A jack_metro tone (440 Hz
    beeps, 300 ms every 0.5 s) is connected to live's input port; the report must say
    transfer mode, no callback errors, and non-silent output (the model follows the input)."""
    metro = shutil.which("jack_metro")
    assert metro, "jack_metro not found: run scripts/setup.sh (installs jackd2, which has it)"
    server = f"rtsynth-tt-{os.getpid()}"
    live = tone = None
    with dummy_jack(server) as env:
        try:
            tone = subprocess.Popen([metro, "-n", "tone", "-f", "440", "-A", "0.5", "-D", "300", "-b", "120"],
                                    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            report = tmp_path / "live_tt.json"
            live = subprocess.Popen([sys.executable, "-m", "rt_synth.cli.main", "live", synth_model,
                                     "--block", "128", "--input", "system", "--report", str(report),
                                     "--quiet"], env=env, cwd=ROOT,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

            def live_inputs():
                return [p for p in jack_ports(server, env).split()
                        if p.startswith("PortAudio") and ":in" in p]
            assert wait_for(lambda: live_inputs() and "tone:" in jack_ports(server, env), 30), \
                "live (PortAudio input) or jack_metro never appeared"
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
