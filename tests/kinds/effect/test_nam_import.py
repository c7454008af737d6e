"""rt-synth import (rt_synth/kinds/effect/nam_import.py): Neural Amp Modeler captures, written by
the reference package neural-amp-modeler 0.12.3 (the .nam 0.5.x format of the community
captures), played by our core. The reference is the package's own model loaded from the .nam
(nam.models.init_from_nam), run in eval/no_grad on the same guitar-like signal; the core must
agree within 1e-4 at any block size."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from rt_synth import _core
from rt_synth.errors import UserError
from rt_synth.kinds.effect.nam_import import guitar_like, import_nam, read_nam

nam_models = pytest.importorskip("nam.models")
from nam.models import init_from_nam  # noqa: E402
from nam.models.recurrent import LSTM as NamLSTM  # noqa: E402
from nam.models.wavenet import WaveNet as NamWaveNet  # noqa: E402
from nam.train.core import Architecture, get_lstm_config, get_wavenet_config  # noqa: E402

SR = 48_000
TOL = 1e-4
BLOCKS = (64, 37, 1000, 0)  # 0 = the whole signal in one call


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Small models, many short ops: on a shared 2-core machine, torch's second thread mostly
    waits (an LSTM step measured 10× slower with 2 threads than with 1)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _package_model(kind: str, preset: str):
    if preset == "gated":  # not a preset: gated layers and the other activations
        c = get_wavenet_config(Architecture.NANO)
        a0, a1 = c["layers_configs"]
        layers = [{**a0, "gated": True, "activation": "ReLU"},
                  {**a1, "gated": True, "activation": "Hardtanh", "kernel_size": 2}]
        return NamWaveNet(layers, head_scale=c["head_scale"], sample_rate=SR)
    arch = Architecture[preset.upper()]
    if kind == "wavenet":
        c = get_wavenet_config(arch)
        return NamWaveNet(c["layers_configs"], head_scale=c["head_scale"], sample_rate=SR)
    c = get_lstm_config(arch)
    return NamLSTM(c["hidden_size"], num_layers=c["num_layers"], sample_rate=SR)


def _final_head(m):
    """(weight, bias, gain from bias to output) of the last head: the output is linear in them."""
    if isinstance(m, NamWaveNet):
        h = m._net._layers[-1]._head_rechannel
        return h.weight, h.bias, m._net._head_scale
    return m._head.weight, m._head.bias, 1.0


def _randomise(m, seed: int, x: np.ndarray, level: float = 0.1):
    """Seeded weights randn·0.3, then the last head set so that the output has std `level`
    and no DC (random weights give a tiny output through NAM's head_scale 0.02, and parity on
    near silence would say nothing; a random network's peaks run to 20× its std, and the
    core bounds its output at ±4)."""
    torch.manual_seed(seed)
    xt = torch.from_numpy(x)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
        weight, bias, gain = _final_head(m)
        weight.mul_(level / float(m.eval()(xt).std()))
        bias.sub_(float(m(xt).mean()) / gain)
    return m


def _export(m, folder, basename: str, fast_metadata: bool = True):
    """The package's own .export(). Its loudness/gain metadata runs the model over seconds of
    audio at several gains (about 10 s for a WaveNet); the parity tests pin them instead."""
    if fast_metadata:
        m._metadata_loudness = lambda *a, **k: -18.0
        m._metadata_gain = lambda: 0.5
    m.export(folder, basename=basename)
    return folder / f"{basename}.nam"


def _reference(nam_path, x: np.ndarray) -> np.ndarray:
    ref = init_from_nam(json.loads(nam_path.read_text())).eval()
    with torch.no_grad():
        return ref(torch.from_numpy(x)).numpy()


def _core_out(core, x: np.ndarray, block: int) -> np.ndarray:
    core.reset()
    b = block or len(x)
    return np.concatenate([core.process(x[i:i + b]) for i in range(0, len(x), b)])


def _check_parity(nam_path, out, x):
    r = import_nam(nam_path, out, checkpoint=False)
    ref = _reference(nam_path, x)
    assert np.std(ref) > 0.05 and np.abs(ref).max() < 3.5  # a real signal, within the core's bound
    core = _core.EffectModel(str(r["written"]["native"]))
    diffs = {b: float(np.abs(_core_out(core, x, b) - ref).max()) for b in BLOCKS}
    print(nam_path.name, {b: f"{d:.2e}" for b, d in diffs.items()}, "ours:", r["parity"])
    assert max(diffs.values()) <= TOL, diffs
    assert max(r["parity"].values()) <= TOL, r["parity"]  # the importer's own measurement
    return r, diffs


@pytest.mark.parametrize("kind,preset", [("wavenet", "standard"), ("wavenet", "lite"),
                                         ("wavenet", "feather"), ("wavenet", "nano"),
                                         ("wavenet", "gated"),  # gated, ReLU, Hardtanh, kernel 2
                                         ("lstm", "standard"),  # hidden 24, 1 layer
                                         ("lstm", "lite")])     # hidden 8, 2 layers
def test_package_presets_play_alike_in_the_core(tmp_path, kind, preset):
    x = guitar_like(SR, 1.0, seed=3)
    m = _randomise(_package_model(kind, preset), seed=11, x=x)
    r, _ = _check_parity(_export(m, tmp_path, f"{kind}-{preset}"), tmp_path / "fx", x)
    want = {"wavenet": "WaveNet", "lstm": "LSTM"}[kind]
    assert r["architecture"] == want and r["sample_rate"] == SR
    assert r["receptive_field"] == (m.receptive_field if kind == "wavenet" else 1)
    assert r["parameters"] == len(json.loads((tmp_path / f"{kind}-{preset}.nam").read_text())["weights"])


def _train(m, steps: int, lr: float, seed: int):
    """A short plain-torch fit of the package's model to tanh(3x) (a soft clipper)."""
    torch.manual_seed(seed)
    x = torch.from_numpy(guitar_like(SR, 0.5, seed=seed))
    y = torch.tanh(3 * x)
    opt = torch.optim.Adam(m.parameters(), lr=lr)

    def error():
        with torch.no_grad():
            return float(torch.mean((m.eval()(x[None]) - y[None]) ** 2))

    before = error()
    m.train()
    for _ in range(steps):
        starts = torch.randint(0, len(x) - 2048, (4,))
        xb = torch.stack([x[s:s + 2048] for s in starts])
        yb = torch.stack([y[s:s + 2048] for s in starts])
        loss = torch.mean((m(xb) - yb) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert error() < 0.5 * before  # it learned something: the weights are a trained model's
    return m.eval()


@pytest.mark.parametrize("kind,preset,steps,lr", [("wavenet", "nano", 80, 4e-3), ("lstm", "lite", 100, 1e-2)])
def test_a_short_trained_model_plays_alike(tmp_path, kind, preset, steps, lr):
    torch.manual_seed(5)
    m = _train(_package_model(kind, preset), steps, lr, seed=5)
    _check_parity(_export(m, tmp_path, f"trained-{kind}"), tmp_path / "fx", guitar_like(SR, 1.0, seed=4))


def test_lstm_initial_state_is_the_files(tmp_path):
    """NAM's LSTM starts from the state stored in the file, not from zeros: the core's first
    samples after reset() must be the package's (and reset() must return to it)."""
    x = guitar_like(SR, 0.25, seed=1)
    m = _randomise(_package_model("lstm", "standard"), seed=2, x=x)
    path = _export(m, tmp_path, "lstm")
    weights = json.loads(path.read_text())["weights"]
    H = 24
    h0 = np.array(weights[4 * H * (1 + H) + 4 * H:][:H])
    assert np.abs(h0).max() > 0.05  # the file does hold a non-zero initial state
    r = import_nam(path, tmp_path / "fx", checkpoint=False)
    core = _core.EffectModel(str(r["written"]["native"]))
    silence = np.zeros(16, np.float32)
    ref = _reference(path, silence)
    first = core.process(silence)
    core.process(x)
    core.reset()
    np.testing.assert_allclose(core.process(silence), first, atol=0, rtol=0)
    assert np.abs(first - ref).max() <= TOL


def test_metadata_round_trip_into_the_native_file_and_info(tmp_path):
    from nam.models.metadata import GearType, ToneType, UserMetadata

    x = guitar_like(SR, 0.5)
    m = _randomise(_package_model("lstm", "nano"), seed=3, x=x)
    meta = UserMetadata(name="Test Amp Crunch", modeled_by="rt-synth tests", gear_type=GearType.AMP,
                        gear_make="Acme", gear_model="Tube 50", tone_type=ToneType.CRUNCH,
                        input_level_dbu=12.5, output_level_dbu=-3.25)
    m.export(tmp_path, basename="amp", user_metadata=meta)  # real loudness and gain (an LSTM: fast)
    path = tmp_path / "amp.nam"
    src = json.loads(path.read_text())["metadata"]
    r = import_nam(path, tmp_path / "amp", checkpoint=False)
    f = _core.ModelFile(str(r["written"]["native"]))
    got = {k[len("rt_synth.effect.nam."):]: f.get(k) for k in f.keys() if k.startswith("rt_synth.effect.nam.")}
    for k in ("name", "modeled_by", "gear_type", "gear_make", "gear_model", "tone_type"):
        assert got[k] == src[k], k
    for k in ("loudness", "gain", "input_level_dbu", "output_level_dbu"):
        assert got[k] == pytest.approx(src[k], rel=1e-6), k
    assert got["version"] == json.loads(path.read_text())["version"] and got["architecture"] == "LSTM"
    assert got["date"].startswith(f"{src['date']['year']:04d}-")
    info = subprocess.run([sys.executable, "-m", "rt_synth.cli.main", "info", str(r["written"]["native"])],
                          capture_output=True, text=True)
    assert info.returncode == 0, info.stderr
    for s in ("NAM LSTM", "Test Amp Crunch", "Acme", "Tube 50", "crunch", "12.500"):
        assert s in info.stdout, (s, info.stdout)


@pytest.fixture(scope="module")
def small_nam(tmp_path_factory):
    d = tmp_path_factory.mktemp("nam")
    m = _randomise(_package_model("wavenet", "nano"), seed=0, x=guitar_like(SR, 0.25))
    return json.loads(_export(m, d, "nano").read_text())


def _write(tmp_path, d, name="bad.nam"):
    p = tmp_path / name
    p.write_text(d if isinstance(d, str) else json.dumps(d))
    return p


def test_bad_files_are_refused_naming_the_file(tmp_path, small_nam):
    n = len(small_nam["weights"])
    layer0 = small_nam["config"]["layers"][0]
    cases = {
        "corrupt": (json.dumps(small_nam)[:-200], "not valid JSON"),
        "not-a-model": ([1, 2, 3], "not a .nam model"),
        "missing": ({k: v for k, v in small_nam.items() if k != "weights"}, "lacks weights"),
        "short": ({**small_nam, "weights": small_nam["weights"][:-3]}, f"needs {n} weights, the file has {n - 3}"),
        "long": ({**small_nam, "weights": small_nam["weights"] + [0.0]}, f"needs {n} weights, the file has {n + 1}"),
        "arch": ({**small_nam, "architecture": "ConvNet"}, "architecture 'ConvNet' is not supported"),
        "linear": ({**small_nam, "architecture": "Linear"}, "architecture 'Linear' is not supported"),
        "activation": ({**small_nam, "config": {**small_nam["config"], "layers": [
            {**layer0, "activation": "LeakyReLU"}] + small_nam["config"]["layers"][1:]}},
            "activation 'LeakyReLU' is not supported"),
        "condition_dsp": ({**small_nam, "config": {**small_nam["config"], "condition_dsp": {}}},
                          "condition_dsp are not supported"),
        "head": ({**small_nam, "config": {**small_nam["config"], "head": {"channels": 4}}}, "post-head"),
        "newer": ({**small_nam, "version": "0.6.0"}, "format version 0.6.0 is newer"),
        "older": ({**small_nam, "version": "0.4.1"}, "format version 0.4.1 is older"),
        "too-big": ({**small_nam, "config": {**small_nam["config"], "layers": [
            {**layer0, "kernel_size": 17}] + small_nam["config"]["layers"][1:]}}, "kernel_size is 17"),
        "nan-size": ({**small_nam, "config": {**small_nam["config"], "layers": [
            {**layer0, "channels": float("nan")}] + small_nam["config"]["layers"][1:]}}, "channels is nan"),
        "text-weight": ({**small_nam, "weights": ["0.1"] + small_nam["weights"][1:]}, "'0.1', which is not a number"),
        "nan": ({**small_nam, "weights": [float("nan")] + small_nam["weights"][1:]}, "non-finite"),
        "chain": ({**small_nam, "config": {**small_nam["config"], "layers": [
            {**layer0, "head_size": 3}] + small_nam["config"]["layers"][1:]}}, "head_size 3 must equal"),
    }
    for label, (content, expect) in cases.items():
        p = _write(tmp_path, content, f"{label}.nam")  # json writes nan as NaN, which it reads
        with pytest.raises(UserError) as e:
            read_nam(p)
        assert str(p) in str(e.value) and expect in str(e.value), (label, str(e.value))
    with pytest.raises(UserError, match="no such file"):
        read_nam(tmp_path / "absent.nam")


def test_missing_sample_rate_is_assumed_48k_and_said(tmp_path, small_nam):
    d = {k: v for k, v in small_nam.items() if k != "sample_rate"}
    nam = read_nam(_write(tmp_path, d))
    assert nam.sample_rate == 48_000
    assert any("no sample_rate" in n and "48000" in n for n in nam.notes)
    assert read_nam(_write(tmp_path, {**small_nam, "sample_rate": 44100.0}, "r.nam")).sample_rate == 44100


def test_cli_import_writes_prints_and_refuses_to_overwrite(tmp_path, small_nam):
    src = _write(tmp_path, {**small_nam, "sample_rate": 44100}, "amp.nam")
    cli = lambda *a: subprocess.run([sys.executable, "-m", "rt_synth.cli.main", *a],  # noqa: E731
                                    capture_output=True, text=True)
    out = tmp_path / "exports" / "amp"
    r = cli("import", str(src), "--out", str(out))
    assert r.returncode == 0, r.stderr
    for s in ("NAM WaveNet", "44100 Hz", "receptive field 4093 samples", "parity", "block 64"):
        assert s in r.stdout, (s, r.stdout)
    assert out.with_suffix(".rtsynth").exists() and out.with_suffix(".pt").exists()
    parity = float(r.stdout.split("block 64 ")[1].split(",")[0])
    assert parity <= TOL
    core = _core.EffectModel(str(out.with_suffix(".rtsynth")))
    assert (core.arch, core.sample_rate) == ("wavenet", 44100)
    again = cli("import", str(src), "--out", str(out))
    assert again.returncode == 2 and "--force" in again.stderr
    assert cli("import", str(src), "--out", str(out), "--force").returncode == 0
    bad = cli("import", str(_write(tmp_path, "{", "broken.nam")), "--out", str(tmp_path / "x"))
    assert bad.returncode == 2 and "broken.nam" in bad.stderr and "not valid JSON" in bad.stderr
