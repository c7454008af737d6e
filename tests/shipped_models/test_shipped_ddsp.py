"""The shipped DDSP instruments (tests/shipped_models/shipped.py: violin, cello, flute, clarinet,
oboe, trumpet, alto sax, all at the live size): each one's files are one model, and each
resynthesises phrases of its own instrument that it never saw within issue 13's bounds
(f0 <= 20 cents, loudness <= 2 dB), scored by trackers that are not the model's own
(librosa pYIN, an RMS curve)."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from rt_synth.kinds.ddsp.bench import melody_controls
from shipped import DDSP_INSTRUMENTS, EXPORTS, SHIPPED_DDSP

SR, SECONDS = 48000, 3.0


@pytest.fixture(scope="module", params=SHIPPED_DDSP)
def stem(request):
    return EXPORTS / request.param


def test_every_shipped_ddsp_file_is_listed():
    """A DDSP model added to exports/ is covered by these tests (and by the safety tests)."""
    from rt_synth.synth.rave import model_kind

    found = {p.stem for p in EXPORTS.glob("*.rtsynth") if model_kind(p) == "ddsp"}
    assert found == set(SHIPPED_DDSP)


@pytest.fixture(scope="module")
def core_model(stem):
    from rt_synth.core import load_core

    return load_core().load_model(str(stem.with_suffix(".rtsynth")))


@pytest.fixture(scope="module")
def frames(core_model):
    hop = core_model.hop
    f0, ld = melody_controls(int(SECONDS * SR), SR)
    return f0[::hop].copy(), ld[::hop].copy()


def _core_render(model, f0f, ldf, block):
    hop = model.hop
    f0, ld = np.repeat(f0f, hop), np.repeat(ldf, hop)
    out = np.zeros(len(f0), np.float32)
    model.prepare(SR, block)
    model.reset(0)
    for s in range(0, len(f0), block):
        model.process(f0[s:s + block], ld[s:s + block], out[s:s + block])
    return out


def test_shipped_files_exist(stem):
    for ext in (".rtsynth", ".ts", ".onnx", ".pt"):
        assert stem.with_suffix(ext).is_file(), f"{stem.with_suffix(ext)} missing"


def test_core_block_sizes_agree(core_model, frames):
    ref = _core_render(core_model, *frames, 128)
    assert np.abs(ref).max() > 1e-2
    for block in (1, 7, 1000, 4096):
        y = _core_render(core_model, *frames, block)
        assert np.abs(y - ref).max() <= 1e-5, block


def test_torchscript_and_onnx_exports_equal_the_core(stem, core_model, frames):
    import torch

    from rt_synth.dsp.prng import counter_noise
    from rt_synth.kinds.ddsp.export.onnx import OnnxDDSPStream

    f0f, ldf = frames
    hop = core_model.hop
    core = _core_render(core_model, f0f, ldf, 256)

    ts = torch.jit.load(str(stem.with_suffix(".ts")))
    ts.reset()
    x = torch.from_numpy(np.stack([f0f, ldf]))[None]
    with torch.inference_mode():
        ts_out = torch.cat([ts.forward_frames(x[:, :, i:i + 25])[0, 0]
                            for i in range(0, x.shape[2], 25)]).numpy()
    assert np.abs(ts_out - core).max() <= 1e-4

    stream = OnnxDDSPStream(stem.with_suffix(".onnx"))
    k = stream.frames
    n = len(f0f) // k * k
    noise = counter_noise(n * hop, seed=0)
    onnx_out = np.concatenate([
        stream.step(f0f[None, a:a + k], ldf[None, a:a + k], noise[None, a * hop:(a + k) * hop])[0]
        for a in range(0, n, k)])
    assert np.abs(onnx_out - core[:n * hop]).max() <= 1e-4


@pytest.fixture(scope="module")
def heldout_audio(stem, tmp_path_factory):
    """Phrases of the model's instrument from a seed no documented training recipe uses
    (README and exports/README.md: 1, docs/data.md: 0)."""
    audio = tmp_path_factory.mktemp("heldout")
    subprocess.run([sys.executable, "-m", "rt_synth.cli.main", "data", "render", "--instrument",
                    DDSP_INSTRUMENTS[stem.name], "--seconds", "24", "--seed", "4242", "--out",
                    str(audio)], check=True, capture_output=True)
    return audio


@pytest.mark.slow
def test_resynthesises_unseen_phrases_of_its_instrument(stem, heldout_audio, tmp_path):
    from rt_synth.kinds.ddsp.heldout import evaluate

    r = evaluate(str(stem.with_suffix(".rtsynth")), str(heldout_audio))
    (tmp_path / "score.json").write_text(json.dumps(r, indent=1))
    assert r["phrases"] >= 2
    assert r["f0_median_cents"] <= 20.0, r
    assert r["loudness_mean_abs_db"] <= 2.0, r
