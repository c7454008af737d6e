"""`rt-synth live` under a dummy JACK server (headless): MIDI sent from another JACK MIDI
client through a JACK MIDI port, audio produced, stopped with SIGINT, stats in --report.
Fails (does not skip) when jackd, jack_metro or python-rtmidi is missing: scripts/setup.sh
installs them (jackd2, the [live] extra). Server and MIDI sender: rt_synth/synth/jack_session.py."""
import json
import os
import time


from rt_synth.synth.jack_session import dummy_jack, hold_notes_live, live_with_tone_input

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
    server = f"rtsynth-tt-{os.getpid()}"
    report = tmp_path / "live_tt.json"
    with dummy_jack(server) as env:
        with live_with_tone_input(synth_model, server, env, report):
            time.sleep(4.0)
    stats = json.loads(report.read_text())
    print(stats)
    assert stats["mode"] == "transfer", stats
    assert stats["callback_errors"] == 0, stats
    assert stats["blocks"] > 3.5 * 48000 / 128 * 0.9, stats
    assert stats["rms"] > 1e-3 and stats["peak"] > 1e-2, stats
