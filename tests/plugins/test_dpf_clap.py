"""The CLAP instrument and effect (plugins/dpf) in a small C host on the CLAP headers of
dpf-source (tests/plugins/clap_host.c: entry -> factory -> plugin -> init -> params and latency
extensions -> activate -> process with note / MIDI / param-value events). The outputs equal the
C ABI render of the same events or audio within 1e-5 (CLAP delivers every MIDI event, CCs and
pitch bend included, at its frame); the parameter list is the C ABI's; the latency the
extension reports is the C ABI's; the plugin's process path allocates nothing (the host counts
malloc & co. around every process call); a corrupt model prints an error and gives silence."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from dpf_bundles import VIOLIN, c_abi_synth, c_abi_transfer, clap_file, note_sequence, transfer_clip
from rt_synth.capi import CModel

HERE = Path(__file__).resolve().parent
CLAP_HEADERS = Path("/usr/share/dpf/distrho/src")
TOL = 1e-5


@pytest.fixture(scope="module")
def clap_host(tmp_path_factory) -> Path:
    assert (CLAP_HEADERS / "clap" / "entry.h").is_file(), \
        "CLAP headers missing: apt-get install dpf-source (bash scripts/setup.sh)"
    cc = shutil.which("cc") or shutil.which("gcc")
    assert cc, "no C compiler: run scripts/setup.sh (build-essential)"
    exe = tmp_path_factory.mktemp("claphost") / "clap_host"
    r = subprocess.run([cc, "-std=c11", "-O2", "-Wall", "-rdynamic", f"-I{CLAP_HEADERS}", "-o", str(exe),
                        str(HERE / "clap_host.c"), "-ldl"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return exe


def run_host(host, plugin: Path, rate, block, n, tmp: Path, events=None, audio=None, params=(), extra=()):
    ev_file = "-"
    if events is not None:
        ev_file = tmp / "events.txt"
        ev_file.write_text("".join(f"{t} {b[0]} {b[1]} {b[2]}\n" for t, b in events))
    in_file = "-"
    if audio is not None:
        in_file = tmp / "in.raw"
        np.ascontiguousarray(audio, dtype=np.float32).tofile(in_file)
    out = tmp / "out.raw"
    r = subprocess.run([str(host), str(plugin), str(rate), str(block), str(n), str(ev_file), str(in_file), str(out)]
                       + [f"{i}={v}" for i, v in params] + list(extra), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    y = np.fromfile(out, dtype=np.float32).reshape(2, n)
    info = {"params": [ln.split("|") for ln in re.findall(r"^param: (.*)$", r.stdout, re.M)],
            "latency": int(re.search(r"^latency: (\d+)$", r.stdout, re.M).group(1)),
            "allocations": int(re.search(r"^allocations in process: (\d+)$", r.stdout, re.M).group(1)),
            "activate_allocations": int(re.search(r"^allocations in activate: (\d+)$", r.stdout, re.M).group(1)),
            "stderr": r.stderr, "stdout": r.stdout}
    return y, info


def param_index(model: Path, method: str, name: str) -> int:
    return list(CModel(model, method).params()).index(name)


@pytest.mark.parametrize("rate,block", [(48000, 256), (44100, 300)])
def test_clap_instrument_matches_c_abi(embed_build, clap_host, tmp_path, rate, block):
    n = int(1.3 * rate)
    ev = note_sequence(rate)  # notes, velocities, pitch bend, mod wheel, sustain: all at their frames
    params = [("transpose_semitones", -3.0), ("vibrato_depth_cents", 120.0)]
    y, info = run_host(clap_host, clap_file(embed_build, "instrument"), rate, block, n, tmp_path, events=ev,
                       params=[(param_index(VIOLIN, "synth", k), v) for k, v in params])
    ref = c_abi_synth(VIOLIN, ev, rate, n, block, params=params)
    plain = c_abi_synth(VIOLIN, ev, rate, n, block)
    assert np.abs(ref - plain).max() > 0.05 and np.abs(ref).max() > 0.05
    assert np.abs(y[0] - ref).max() <= TOL and np.array_equal(y[0], y[1])
    c = CModel(VIOLIN, "synth")
    c.prepare(rate, block)
    assert info["latency"] == c.latency
    assert len(info["params"]) == len(c.params())
    assert info["params"][1][1] == "Attack" and info["params"][13][1] == "Transpose"  # names from the C ABI's
    for p, (name, (_, lo, hi, default)) in zip(info["params"], c.params().items()):
        assert float(p[2]) == pytest.approx(lo, rel=1e-5) and float(p[3]) == pytest.approx(hi, rel=1e-5)
        assert float(p[4]) == pytest.approx(default, rel=1e-5)
    assert info["activate_allocations"] > 0, "the allocation counter saw nothing (it must see activate's prepare)"
    assert info["allocations"] == 0, "the plugin allocated in process()"


@pytest.mark.parametrize("rate,block", [(48000, 512), (44100, 127)])
def test_clap_effect_matches_c_abi(embed_build, clap_host, tmp_path, rate, block):
    x = transfer_clip(rate)
    n = x.shape[1]
    params = [("pitch_shift_semitones", 5.0), ("wet", 0.7)]
    y, info = run_host(clap_host, clap_file(embed_build, "effect"), rate, block, n, tmp_path, audio=x,
                       params=[(param_index(VIOLIN, "transfer", k), v) for k, v in params])
    ref, lat = c_abi_transfer(VIOLIN, x, rate, block, params=params)
    assert info["latency"] == lat > 0
    assert np.abs(ref[:, lat:]).max() > 1e-3
    assert np.abs(y - ref).max() <= TOL  # the host does not compensate: both carry the latency
    assert info["allocations"] == 0, "the plugin allocated in process()"


def test_clap_rave_effect_reports_its_latency(embed_build, clap_host, tmp_path):
    rave = VIOLIN.parent / "violin-rave.rtsynth"
    rate, block = 48000, 512
    x = transfer_clip(rate, 0.5)
    y, info = run_host(clap_host, clap_file(embed_build, "effect", "violin-rave"), rate, block, x.shape[1], tmp_path,
                       audio=x)
    ref, lat = c_abi_transfer(rave, x, rate, block)
    assert info["latency"] == lat > 0 and len(info["params"]) == len(CModel(rave, "transfer").params())
    assert np.abs(y - ref).max() <= TOL and info["allocations"] == 0


def test_clap_corrupt_model_logs_error_and_is_silent(embed_build, clap_host, corrupt_model, tmp_path):
    src = clap_file(embed_build, "instrument")
    plugin = tmp_path / "rt-synth-corrupt-instrument.clap"
    shutil.copy(src, plugin)
    shutil.copy(corrupt_model, plugin.with_suffix(".rtsynth"))
    y, info = run_host(clap_host, plugin, 48000, 512, 24000, tmp_path, events=[(100, bytes([0x90, 69, 100]))])
    assert "cannot load model" in info["stderr"] and "rt-synth-corrupt-instrument.rtsynth" in info["stderr"]
    assert not np.any(y) and info["params"] == []


def dpf_state(model_path: str, params: dict[str, float]) -> bytes:
    """DPF's state format (DistrhoPluginCLAP.cpp stateSave): NUL-separated key/value pairs
    between markers, then 0xFE."""
    parts = ["__dpf_state_begin__", "model", model_path, "__dpf_state_end__", "__dpf_parameters_begin__"]
    for k, v in params.items():
        parts += [k, repr(float(v))]
    parts.append("__dpf_parameters_end__")
    return b"\0".join(p.encode() for p in parts) + b"\0\xfe\0"


def test_clap_state_round_trip_and_user_model(embed_build, clap_host, tmp_path):
    rate, block = 48000, 256
    n = int(1.3 * rate)
    ev = note_sequence(rate)
    plugin = clap_file(embed_build, "instrument")
    params = [("transpose_semitones", 5.0), ("release_s", 1.25)]
    y1, _ = run_host(clap_host, plugin, rate, block, n, tmp_path, events=ev,
                     params=[(param_index(VIOLIN, "synth", k), v) for k, v in params],
                     extra=[f"save={tmp_path / 'saved.state'}"])
    saved = (tmp_path / "saved.state").read_bytes()
    assert b"transpose_semitones\x00" in saved and b"__dpf_state_begin__\x00model\x00" in saved
    y2, _ = run_host(clap_host, plugin, rate, block, n, tmp_path, events=ev, extra=[f"load={tmp_path / 'saved.state'}"])
    assert np.abs(y2 - y1).max() <= TOL and np.abs(y1).max() > 0.05

    # a user model named by the state replaces the bundled one (loaded off the audio thread)
    other = VIOLIN.parent / "cello-ddsp.rtsynth"  # another shipped instrument
    (tmp_path / "user.state").write_bytes(dpf_state(str(other), dict(params)))
    y3, info = run_host(clap_host, plugin, rate, block, n, tmp_path, events=ev, extra=[f"load={tmp_path / 'user.state'}"])
    ref = c_abi_synth(other, ev, rate, n, block, params=params)
    assert np.abs(y3[0] - ref).max() <= TOL and np.abs(ref - y1[0]).max() > 0.05

    # a user model that does not load: an error names it, the bundled model keeps playing
    (tmp_path / "bad.state").write_bytes(dpf_state(str(tmp_path / "nowhere.rtsynth"), dict(params)))
    y4, info = run_host(clap_host, plugin, rate, block, n, tmp_path, events=ev, extra=[f"load={tmp_path / 'bad.state'}"])
    assert "cannot load model" in info["stderr"] and "nowhere.rtsynth" in info["stderr"]
    assert np.abs(y4 - y1).max() <= TOL


def test_clap_effect_latency_follows_user_model(embed_build, clap_host, tmp_path):
    rave = VIOLIN.parent / "violin-rave.rtsynth"
    rate, block = 44100, 512
    x = transfer_clip(rate, 0.5)
    (tmp_path / "rave.state").write_bytes(dpf_state(str(rave), {}))
    y, info = run_host(clap_host, clap_file(embed_build, "effect"), rate, block, x.shape[1], tmp_path, audio=x,
                       extra=[f"load={tmp_path / 'rave.state'}"])
    ref, lat = c_abi_transfer(rave, x, rate, block)
    _, lat_violin = c_abi_transfer(VIOLIN, x[:, :block], rate, block)
    assert info["latency"] == lat != lat_violin
    assert np.abs(y - ref).max() <= TOL


def test_install_script_puts_loadable_plugins_where_hosts_look(embed_build, clap_host, tmp_path):
    root = Path(__file__).resolve().parents[2]
    r = subprocess.run(["bash", str(root / "scripts" / "install_plugins.sh"), "--prefix", str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    vst3 = tmp_path / ".vst3" / "rt-synth-violin-live-ddsp-instrument.vst3" / "Contents"
    assert (vst3 / "Resources" / "model.rtsynth").is_file() and any((vst3).glob("*-linux/*.so"))
    assert (tmp_path / ".lv2" / "rt-synth-violin-live-ddsp.lv2" / "manifest.ttl").is_file()
    clap = tmp_path / ".clap" / "rt-synth-violin-live-ddsp-instrument.clap"
    y, info = run_host(clap_host, clap, 48000, 512, 24000, tmp_path, events=[(100, bytes([0x90, 69, 100]))])
    assert np.abs(y).max() > 0.01 and info["stderr"].strip() == ""


def test_clap_latency_follows_sample_rate_change(embed_build, clap_host, tmp_path):
    """One instance, activated at 48 kHz, then deactivated and activated at 44.1 kHz: the model is
    prepared again and the latency extension reports the C ABI's latency at the new rate; the host
    hears of it through its latency extension."""
    x = transfer_clip(48000, 0.25)
    _, info = run_host(clap_host, clap_file(embed_build, "effect"), 48000, 512, x.shape[1], tmp_path, audio=x,
                       extra=["rerate=44100"])
    _, lat48 = c_abi_transfer(VIOLIN, x[:, :512], 48000, 512)
    _, lat44 = c_abi_transfer(VIOLIN, x[:, :512], 44100, 512)
    after = int(re.search(r"^latency after rerate: (\d+)$", info["stdout"], re.M).group(1))
    notified = int(re.search(r"^latency changed notifications: (\d+)$", info["stdout"], re.M).group(1))
    assert info["latency"] == lat48 and after == lat44 != lat48 and notified >= 1
