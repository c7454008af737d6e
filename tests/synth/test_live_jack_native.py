"""The native JACK client of `rt-synth live` (csrc/live/jack_live.cpp, docs/live-jack.md) under a
dummy JACK server: 8 held notes through JACK MIDI, the report's keys and that it plays; and
the one-command comparison with jack_metro (rt_synth.synth.jack_session --compare-metro) runs
and reports both counts. Xrun COUNTS are wall-clock figures of a shared machine: they are
reported (docs/live-jack.md), never asserted. Needs jackd2, jack_metro and the client built with
libjack-jackd2-dev: scripts/setup.sh installs them (no skip)."""
import json
import os
import signal
import subprocess
import sys
import time

from rt_synth.synth.jack_session import (compare_metro, dummy_jack, hold_notes_live, new_server_name,
                                         with_window)
from rt_synth.synth.live_jack import client_command, jack_client_path


def test_native_client_is_built():
    exe = jack_client_path()
    assert exe is not None and exe.is_file(), (
        "rt-synth-jack is not built: install libjack-jackd2-dev (scripts/setup.sh), then "
        "bash scripts/build_core.sh")


def test_native_live_holds_eight_voices(synth_model, tmp_path):
    stats = hold_notes_live(synth_model, 5.0, voices=8, block=128, report=tmp_path / "live.json",
                            backend="jack")
    print(stats)
    assert stats["backend"] == "jack-native" and stats["jack"] and stats["mode"] == "synth", stats
    assert stats["jack_period"] == 128 and stats["block"] == 128, stats
    assert stats["midi_messages"] >= 16 and stats["max_active_voices"] == 8, stats
    assert stats["rms"] > 1e-3 and 1e-2 < stats["peak"] <= 1.0, stats
    assert stats["callback_errors"] == 0 and stats["events_dropped"] == 0, stats
    assert isinstance(stats["xruns"], int) and stats["xruns"] >= 0, stats
    assert stats["blocks"] > 5.0 * 48000 / 128 * 0.9, stats
    assert 0.0 < stats["callback_load_mean"] <= stats["callback_load_max"], stats
    assert 0 <= stats["callbacks_over_period"] <= stats["callbacks_over_half_period"] <= stats["blocks"], stats
    assert stats["lookahead_frames"] == 1, stats  # block 128 < hop 192: the engine's lookahead
    # the xruns' times, and the measured window (notes held, the MIDI sender gone)
    times = stats["xrun_times"]
    assert len(times) == stats["xruns"] and times == sorted(times), stats
    t0, t1 = stats["window_s"]
    assert 4.9 < t1 - t0 < 6.0 and t0 > stats["started_monotonic"], stats
    assert 0 <= stats["xruns_in_window"] <= stats["xruns"], stats


def test_xrun_times_are_when_the_server_saw_them(tmp_path):
    """A client stopped (SIGSTOP) for 0.2 s misses its cycles: the server notifies xruns, and the
    report dates them in that stop (they arrive when the client runs again)."""
    server = new_server_name("xrun-times")
    rep = tmp_path / "probe.json"
    with dummy_jack(server, period=128) as env:
        p = subprocess.Popen(client_command(count_xruns=True, client_name="probe", duration=3.0, report=rep,
                                            quiet=True), env=env)
        try:
            time.sleep(1.0)
            t0 = time.monotonic()
            p.send_signal(signal.SIGSTOP)
            time.sleep(0.2)
            p.send_signal(signal.SIGCONT)
            t1 = time.monotonic()
            assert p.wait(timeout=30) == 0
        finally:
            if p.poll() is None:
                os.kill(p.pid, signal.SIGCONT)
                p.kill()
                p.wait()
    r = json.loads(rep.read_text())
    times = r["xrun_times"]
    assert r["xruns"] >= 1 and len(times) == r["xruns"], r
    in_stop = with_window(dict(r), t0, t1 + 0.5)["xruns_in_window"]
    assert in_stop >= 1, (t0, t1, times)
    assert all(t >= r["started_monotonic"] for t in times), r


def test_window_counts_only_its_own_xruns():
    r = with_window({"xrun_times": [1.0, 2.0, 2.5, 3.0, 9.0]}, 2.0, 3.0)
    assert r["xruns_in_window"] == 2 and r["window_s"] == [2.0, 3.0]  # [t0, t1)
    assert with_window({"xruns": 4}, 0.0, 1.0)["xruns_in_window"] is None  # no times: not counted


def test_native_client_refuses_a_bad_model(tmp_path):
    bad = tmp_path / "bad.rtsynth"
    bad.write_bytes(b"not a model")
    r = subprocess.run([str(jack_client_path()), str(bad), "--duration", "1"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 1 and "bad.rtsynth" in r.stderr, r.stderr


def test_compare_metro_reports_both(synth_model):
    r = compare_metro(synth_model, 2.0, voices=8, block=128, backends=("jack",), rounds=1)
    print(json.dumps({k: v for k, v in r.items() if k not in ("jack_metro", "rt_synth_jack")}),
          r["jack_metro"]["xruns"], r["rt_synth_jack"]["xruns"])
    m, x = r["jack_metro"], r["rt_synth_jack"]
    assert m["blocks"] > 2.0 * 48000 / 128 * 0.9 and x["blocks"] > 2.0 * 48000 / 128 * 0.9, r
    assert isinstance(m["xruns"], int) and isinstance(x["xruns"], int), r
    assert x["callback_errors"] == 0 and x["runs"][0]["max_active_voices"] == 8, r
    assert x["runs"][0]["backend"] == "jack-native", r
    assert len(r["load_average_before"]) == 3 and "ratio_jack" in r and "ratio_jack_jackd_notices" in r, r
    assert "ratio_jack_window" in r and 0 <= m["xruns_in_window"] <= m["xruns"], r
    assert 0 <= x["xruns_in_window"] <= x["xruns"], r
    assert m["jackd_notices"] >= 0 and x["jackd_notices"] >= 0, r


def test_compare_metro_command_line_help():
    r = subprocess.run([sys.executable, "-m", "rt_synth.synth.jack_session", "--help"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and "--compare-metro" in r.stdout, r.stdout + r.stderr
