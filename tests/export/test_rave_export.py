"""RAVE exports: TorchScript (nn~ contract), streaming ONNX, native GGUF, and the CLI."""
import numpy as np
import pytest
import torch

from rt_synth.cli.main import main
from rt_synth.export.counter_noise_torch import counter_noise
from rt_synth.kinds.rave.export.native import write_rave
from rt_synth.kinds.rave.export.onnx import OnnxRaveStream, export_onnx
from rt_synth.kinds.rave.export.torchscript import export_torchscript
from rt_synth.kinds.rave.model.config import CONFIGS
from rt_synth.kinds.rave.model.model import RaveModel
from rt_synth.kinds.rave.model.streaming import band_noise
from rt_synth.train.checkpoint import atomic_save
from rave_test_models import pitched_model  # noqa: E402


@pytest.fixture(scope="module")
def rave():
    torch.manual_seed(0)
    m = RaveModel(CONFIGS["tiny"])
    for name, p in m.named_parameters():
        if not name.startswith("pqmf"):
            p.data.normal_(0, 0.25)
    d = m.config.latent_size
    q, _ = torch.linalg.qr(torch.randn(d, d))
    m.set_latent_statistics(torch.randn(d) * 0.1, q, torch.rand(d) + 0.5)
    m.input_gain.fill_(2.5)
    return m.eval()


def _signal(c, frames, batch=1):
    t = np.arange(frames * c.ratio) / c.sample_rate
    x = 0.5 * np.sin(2 * np.pi * 220 * t) * np.sin(2 * np.pi * 3 * t)
    return torch.tensor(np.tile(x, (batch, 1))[:, None], dtype=torch.float32)


def _reference(rave, x, latent_size=None):
    c = rave.config
    noise = band_noise(counter_noise(0, torch.zeros(x.shape[0], dtype=torch.int64),
                                     x.shape[-1]), c.n_bands)
    with torch.no_grad():
        u = rave.encode(x)
        uu = u.clone()
        if latent_size is not None:
            uu[:, latent_size:] = 0
        return u, rave.decode(uu, noise)


def test_torchscript_contract_and_streaming(rave, tmp_path):
    c = rave.config
    ts = torch.jit.load(str(export_torchscript(rave, tmp_path / "m.ts")))
    assert ts.get_methods() == ["encode", "decode", "forward"]
    d, r = c.latent_size, c.ratio
    assert ts.encode_params.tolist() == [1, 1, d, r]
    assert ts.decode_params.tolist() == [d, r, 1, 1]
    assert ts.forward_params.tolist() == [1, 1, 1, 1]
    assert ts.get_attributes() == ["latent_size"] and ts.get_latent_size() == [d]
    assert ts.latent_size_params.tolist() == [1]  # nn~ type code: int
    assert ts.set_latent_size(0) == -1 and ts.set_latent_size(d + 1) == -1
    x = _signal(c, 24, batch=2)
    u_ref, y_ref = _reference(rave, x)
    assert y_ref.abs().max() > 1e-3
    blocks = [2 * r, r, 4 * r, 17 * r]
    ys, us, pos = [], [], 0
    for n in blocks:
        ys.append(ts.forward(x[..., pos:pos + n]))
        us.append(ts.encode(x[..., pos:pos + n]))
        pos += n
    assert torch.abs(torch.cat(us, -1) - u_ref).max() <= 1e-4
    assert torch.abs(torch.cat(ys, -1) - y_ref).max() <= 1e-4
    dec = torch.cat([ts.decode(u_ref[..., a:b]) for a, b in [(0, 5), (5, 6), (6, 24)]], -1)
    assert torch.abs(dec - y_ref).max() <= 1e-4
    # latent_size: the last controls held at the mean
    ts.reset()
    assert ts.set_latent_size(2) == 0
    _, y2_ref = _reference(rave, x, latent_size=2)
    assert torch.abs(ts.forward(x) - y2_ref).max() <= 1e-4


def test_onnx_steps_match_offline(rave, tmp_path):
    c = rave.config
    block = 2 * c.ratio
    stream = OnnxRaveStream(export_onnx(rave, tmp_path / "m.onnx", block))
    assert stream.block == block
    x = _signal(c, 40)
    noise_flat = counter_noise(0, torch.zeros(1, dtype=torch.int64), x.shape[-1])
    noise = band_noise(noise_flat, c.n_bands).numpy()
    out = []
    fb = block // c.n_bands
    for s in range(20):
        out.append(stream.step(x[..., s * block:(s + 1) * block].numpy(),
                               np.ascontiguousarray(noise[..., s * fb:(s + 1) * fb])))
    _, y_ref = _reference(rave, x)
    assert np.abs(np.concatenate(out, -1) - y_ref.numpy()).max() <= 1e-4
    stream.reset()
    again = stream.step(x[..., :block].numpy(), np.ascontiguousarray(noise[..., :fb]))
    assert np.allclose(again, out[0], atol=1e-6)


def test_native_file_keys_and_tensors(rave, tmp_path):
    import gguf

    path = write_rave(rave, tmp_path / "m", "m")
    assert path.suffix == ".rtsynth"
    r = gguf.GGUFReader(str(path))
    kv = {f.name: f for f in r.fields.values()}

    def scalar(k):
        f = kv[k]
        return f.parts[f.data[0]][0]

    c = rave.config
    assert bytes(kv["rt_synth.kind"].parts[-1]).decode() == "rave"
    assert scalar("rt_synth.latency_samples") == c.latency
    assert scalar("rt_synth.hop") == c.ratio
    assert scalar("rt_synth.rave.n_bands") == c.n_bands
    assert scalar("rt_synth.control.latent_count") == c.latent_size
    tensors = {t.name: t for t in r.tensors}
    sd = rave.state_dict()
    assert "latent_stats_ready" not in tensors and "input_gain" not in tensors
    assert abs(float(kv["rt_synth.rave.input_gain"].parts[-1][0]) - 2.5) < 1e-6
    for name, t in tensors.items():
        if name == "input_gain":
            continue
        shape = tuple(int(v) for v in reversed(t.shape.tolist()))
        assert shape == tuple(sd[name].shape), name
        assert np.allclose(np.asarray(t.data).reshape(shape), sd[name].numpy())
    assert {"pqmf.analysis.conv.weight", "pqmf.synthesis.conv.weight", "latent_pca",
            "encoder.conv_in.conv.weight", "decoder.conv_out.conv.bias"} <= set(tensors)


def test_cli_export(rave, tmp_path, capsys):
    ckpt = tmp_path / "rave.pt"
    atomic_save(rave.payload(), ckpt)
    assert main(["export", str(ckpt), "--out", str(tmp_path / "out" / "x-rave"),
                 "--formats", "native,checkpoint"]) == 0
    assert (tmp_path / "out" / "x-rave.rtsynth").exists()
    fresh = RaveModel(CONFIGS["tiny"])  # no latent statistics yet: refused with a message
    atomic_save(fresh.payload(), tmp_path / "fresh.pt")
    capsys.readouterr()
    assert main(["export", str(tmp_path / "fresh.pt"), "--out", str(tmp_path / "f")]) == 2
    assert "latent statistics" in capsys.readouterr().err


def test_native_file_reads_in_the_core_reader(rave, tmp_path):
    core = pytest.importorskip("rt_synth._core")
    f = core.ModelFile(str(write_rave(rave, tmp_path / "m", "m", {"latency_samples": 450.0})))
    c = rave.config
    assert f.get_string("rt_synth.kind") == "rave"
    assert f.get_u32("rt_synth.latency_samples") == c.latency
    assert f.get("rt_synth.rave.decoder_strides") == list(c.decoder_strides)
    assert abs(f.get_f32("rt_synth.rave.measured_latency_samples") - 450.0) < 1e-6
    assert f.tensor_shape("pqmf.analysis.conv.weight") == [c.n_bands, 1, c.pqmf_taps]


def test_onnx_without_noise_branch(tmp_path):
    torch.manual_seed(1)
    m = RaveModel(CONFIGS["tiny"].with_overrides(noise=False)).eval()
    m.latent_stats_ready.fill_(1)
    stream = OnnxRaveStream(export_onnx(m, tmp_path / "n.onnx"))
    assert not stream.has_noise
    x = _signal(m.config, 12)
    r = m.config.ratio
    y = np.concatenate([stream.step(x[..., i * r:(i + 1) * r].numpy()) for i in range(12)], -1)
    with torch.no_grad():
        ref = m.reconstruct(x).numpy()
    assert np.abs(y - ref).max() <= 1e-4


def test_export_measure_writes_metrics_into_every_export(tmp_path):
    """`rt-synth export RUN --measure DATASET`: held-out distance and onset latency on the
    validation split, in NAME.metrics.json, the light checkpoint and the native file."""
    import json

    from rt_synth.cli.main import main
    from rt_synth.core import load_core
    from rt_synth.data.prepare import prepare_dataset

    import soundfile as sf

    sr = 48000
    t = np.arange(6 * sr) / sr
    audio = tmp_path / "audio"
    audio.mkdir()
    for i, f in enumerate((196.0, 262.0, 330.0)):
        x = 0.3 * np.sin(2 * np.pi * f * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.5 * t)) ** 2
        sf.write(audio / f"tone{i}.wav", x.astype(np.float32), sr)
    data = tmp_path / "data"
    prepare_dataset(str(audio), str(data))
    run = tmp_path / "run"
    assert main(["train", "rave", "--data", str(data), "--out", str(run), "--config", "tiny",
                 "--steps", "3", "--phase2-step", "100"]) == 0
    out = tmp_path / "exp" / "m"
    assert main(["export", str(run), "--out", str(out), "--measure", str(data)]) == 0
    metrics = json.loads(out.with_name("m.metrics.json").read_text())
    assert metrics["steps"] == 3 and metrics["valid_examples"] >= 1
    assert np.isfinite(metrics["heldout_distance"]) and metrics["heldout_distance"] > 0
    assert metrics["latency_design_samples"] == CONFIGS["tiny"].latency
    assert torch.load(out.with_name("m.pt"), weights_only=False)["measurements"] == metrics
    assert main(["info", str(out.with_name("m.rtsynth")), "--json"]) == 0
    assert main(["export", str(run), "--out", str(out), "--measure", str(tmp_path / "nope")]) == 2
    assert load_core().RaveModel(str(out.with_name("m.rtsynth"))).latency == CONFIGS["tiny"].latency


# ---- pitch source ----

_pitched_model = pitched_model


@pytest.fixture(scope="module", params=["tiny-pitched", "pitched", "tiny-harmonic",
                                        "tiny-harmonic-ddsp", "tiny-harmonic-ddsp-latent",
                                        "tiny-harmonic-ddsp-dc"])
def pitched_ts(request, tmp_path_factory):
    m = _pitched_model(request.param)
    path = export_torchscript(m, tmp_path_factory.mktemp("ts") / "p.ts")
    return m, torch.jit.load(str(path))


PITCHED_SAMPLES = 3 * 8192  # 0.51 s: three of nn~'s largest buffers


def _violin(batch=1):
    from rt_synth.eval.signals import violin_like

    x = np.stack([violin_like(1.0, seed=s)[:PITCHED_SAMPLES] for s in range(batch)])
    return torch.from_numpy(x)[:, None]


def _pitch_channels(m):
    """f0, periodicity, and the loudness when the harmonic head reads it."""
    return 3 if (m.config.harmonics and m.config.harmonic_loudness) else 2


def _host_run(module, method, buffer, x):
    from rt_synth.export.nn_tilde_host import NNTildeHost

    module.reset()
    host = NNTildeHost(module, method, buffer, x.shape[0])
    return torch.cat([host.process(x[..., i:i + buffer]) for i in range(0, x.shape[-1], buffer)],
                     -1)


def test_pitched_torchscript_contract(pitched_ts):
    m, ts = pitched_ts
    d, r = m.config.latent_size, m.config.ratio
    p = _pitch_channels(m)
    assert ts.get_methods() == ["encode", "decode", "forward"]
    assert ts.encode_params.tolist() == [1, 1, d + p, r]
    assert ts.decode_params.tolist() == [d + p, r, 1, 1]
    assert ts.forward_params.tolist() == [1, 1, 1, 1]
    assert ts.get_attributes() == ["latent_size"] and ts.get_latent_size() == [d]
    assert ts.latent_size_params.tolist() == [1]
    assert ts.set_latent_size(d + 1) == -1 and ts.set_latent_size(0) == -1


@pytest.mark.parametrize("buffer", [2048, 4096, 8192])
def test_pitched_torchscript_through_nn_tilde_equals_offline(pitched_ts, buffer):
    """nn~'s arithmetic (rt_synth.export.nn_tilde_host) around the pitched module: forward and
    encode → decode equal reconstruct() (numba YIN) wherever the two trackers agree; on this
    signal they agree on every frame."""
    m, ts = pitched_ts
    c = m.config
    x = _violin()
    noise = band_noise(counter_noise(0, torch.zeros(1, dtype=torch.int64), x.shape[-1]),
                       c.n_bands)
    with torch.no_grad():
        ref = m.reconstruct(x, noise)
        f_ref, p_ref = m.track(x)
    y = _host_run(ts, "forward", buffer, x)
    enc = _host_run(ts, "encode", buffer, x)
    frames = enc[..., c.ratio - 1::c.ratio]  # each value held R samples by nn~
    d = c.latent_size
    differ = int(((frames[:, d] != f_ref) | (frames[:, d + 1] != p_ref)).sum())
    assert differ == 0, f"{differ} of {f_ref.numel()} frames tracked differently"
    if _pitch_channels(m) == 3:  # the loudness channel: pitch_source.loudness_frames
        l_ref = m.track_loudness(x)
        assert enc.shape[1] == d + 3
        assert torch.abs(frames[:, d + 2] - l_ref).max() <= 1e-6
    assert ref.abs().max() > 1e-2
    assert torch.abs(y - ref).max() <= 1e-4
    dec = _host_run(ts, "decode", buffer, enc)  # nn~ keeps the last sample of each R group
    assert torch.abs(dec - ref).max() <= 1e-4


def test_pitched_torchscript_transposes_through_the_f0_channel(pitched_ts):
    m, ts = pitched_ts
    c = m.config
    x = _violin(batch=2)
    d = c.latent_size
    with torch.no_grad():
        v = ts.encode(x)
        v[:, d] *= 2 ** (5 / 12)  # a fourth up
        ts.reset()
        assert ts.set_latent_size(2) == 0
        y = ts.decode(v)
        assert ts.set_latent_size(d) == 0
        u = v[:, :d].clone()
        u[:, 2:] = 0  # latent_size 2: the others held at the mean
        noise = band_noise(counter_noise(0, torch.zeros(2, dtype=torch.int64), x.shape[-1]),
                           c.n_bands)
        loud = v[:, d + 2] if _pitch_channels(m) == 3 else None
        ref = m.decode(u, noise, v[:, d], v[:, d + 1], loud)
    assert torch.abs(y - ref).max() <= 1e-4


@pytest.mark.parametrize("name,frames", [("tiny-pitched", 2), ("pitched", 1), ("tiny-harmonic", 2),
                                         ("harmonic", 1), ("tiny-harmonic-ddsp", 2),
                                         ("tiny-harmonic-ddsp-latent", 1),
                                         ("tiny-harmonic-ddsp-nonoise", 1),
                                         ("tiny-harmonic-ddsp-dc", 2),
                                         ("harmonic-ddsp", 1)])
def test_pitched_onnx_steps_match_offline(name, frames, tmp_path):
    """One timbre-transfer step with the tracker, the excitation and every state as I/O,
    block after block in onnxruntime == reconstruct() (numba YIN)."""
    m = _pitched_model(name)
    c = m.config
    block = frames * c.ratio
    stream = OnnxRaveStream(export_onnx(m, tmp_path / "p.onnx", block))
    types = {i.name: i.type for i in stream.session.get_inputs()}
    assert types["yin_0_in"] == types["yin_1_in"] == "tensor(double)"
    doubles = [n for n in stream.state_names if types[n] == "tensor(double)"]
    dec = [n for n in stream.state_names if n.startswith("dec_")]
    if c.harmonics and c.harmonic_noise:  # ... and the previous noise gains (float32)
        assert doubles[-4:] == dec[-7:-4] + dec[-2:-1]
        assert types[dec[-1]] == "tensor(float)"
    elif c.harmonics:  # prev f0, per, phase, then the head's conv, analysis and prev amplitudes
        assert doubles[-4:] == dec[-6:-3] + dec[-1:]
    else:  # prev f0, per, phase
        assert doubles[-3:] == dec[-3:]
    x = _violin()[..., : (PITCHED_SAMPLES // block) * block]
    steps = x.shape[-1] // block
    noise = band_noise(counter_noise(0, torch.zeros(1, dtype=torch.int64), x.shape[-1]),
                       c.n_bands)
    fb = block // c.n_bands
    out = [stream.step(x[..., s * block:(s + 1) * block].numpy(),
                       np.ascontiguousarray(noise[..., s * fb:(s + 1) * fb].numpy()))
           for s in range(steps)]
    with torch.no_grad():
        ref = m.reconstruct(x, noise).numpy()
    assert np.abs(ref).max() > 1e-2
    assert np.abs(np.concatenate(out, -1) - ref).max() <= 1e-4
    stream.reset()
    again = stream.step(x[..., :block].numpy(), np.ascontiguousarray(noise[..., :fb].numpy()))
    assert np.allclose(again, out[0], atol=1e-6)


def test_cli_exports_a_pitched_model_in_every_format(tmp_path):
    """`rt-synth export RUN --out NAME` on a pitched model: native, TorchScript, ONNX and the
    light checkpoint; the TorchScript and ONNX files play what the offline model plays, and
    the core reading the native file agrees with them."""
    m = _pitched_model("tiny-pitched")
    c = m.config
    ckpt = tmp_path / "p.pt"
    atomic_save(m.payload(), ckpt)
    out = tmp_path / "exp" / "p"
    assert main(["export", str(ckpt), "--out", str(out), "--onnx-frames", "4"]) == 0
    for ext in (".rtsynth", ".ts", ".onnx", ".pt"):
        assert out.with_name("p" + ext).is_file(), ext
    x = _violin()[..., : 8192]
    noise = band_noise(counter_noise(0, torch.zeros(1, dtype=torch.int64), x.shape[-1]),
                       c.n_bands)
    with torch.no_grad():
        ref = m.reconstruct(x, noise)
        ts = torch.jit.load(str(out.with_name("p.ts")))
        y_ts = torch.cat([ts.forward(x[..., i:i + 2048]) for i in range(0, 8192, 2048)], -1)
    assert torch.abs(y_ts - ref).max() <= 1e-4
    stream = OnnxRaveStream(out.with_name("p.onnx"))
    block, fb = stream.block, stream.block // c.n_bands
    assert block == 4 * c.ratio
    y_onnx = np.concatenate([stream.step(x[..., i:i + block].numpy(), np.ascontiguousarray(
        noise[..., i // c.n_bands:i // c.n_bands + fb].numpy())) for i in range(0, 8192, block)],
        -1)
    assert np.abs(y_onnx - ref.numpy()).max() <= 1e-4
    core = pytest.importorskip("rt_synth._core")
    from rt_synth.kinds.rave.heldout import forward

    native = core.RaveModel(str(out.with_name("p.rtsynth")))
    native.prepare(c.sample_rate, 4096)
    y_core = forward(native, x[0, 0].numpy(), 333)
    assert np.abs(y_core - y_ts[0, 0].numpy()).max() <= 1e-4
