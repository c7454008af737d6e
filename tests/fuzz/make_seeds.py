"""Writes the fuzzers' committed seed corpus (tests/fuzz/corpus/<harness>/): tiny
random-weight models, one per kind (a DDSP with hidden 8 / GRU 8 / 4 harmonics, about 10 kB,
the RAVE 'tiny' test model, about 38 kB, and an effect WaveNet with gain/tone knobs, about
7 kB, which tests/tsan also plays), the first two also the fixed models of the MIDI and
process harnesses, plus a few hand-made MIDI and process inputs. Deterministic (fixed seeds):
`python3 tests/fuzz/make_seeds.py` rewrites the same bytes."""
from __future__ import annotations

import struct
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[0] / "core"))
sys.path.insert(0, str(HERE.parents[0] / "synth"))


def ddsp_micro(path: Path) -> None:
    import torch
    from rt_synth.kinds.ddsp.export.native import write_ddsp
    from rt_synth.kinds.ddsp.model.config import CONFIGS
    from rt_synth.kinds.ddsp.model.model import DDSPModel

    cfg = CONFIGS["tiny"].with_overrides(hidden_size=8, gru_size=8, n_harmonics=4, n_noise_bands=5, mlp_layers=1)
    torch.manual_seed(0)
    model = DDSPModel(cfg)
    with torch.no_grad():
        model.decoder.head.weight.mul_(4.0)
        model.decoder.set_normalisation(55.0, 10.0, -35.0, 15.0)
    with tempfile.TemporaryDirectory() as d:
        out = write_ddsp(model, Path(d) / "ddsp_micro", "ddsp_micro")
        path.write_bytes(Path(out).read_bytes())


def rave_tiny(path: Path) -> None:
    from rave_core_helpers import make_model

    with tempfile.TemporaryDirectory() as d:
        _, out = make_model(Path(d), "tiny", name="rave_tiny")
        path.write_bytes(Path(out).read_bytes())


def effect_knobs(path: Path) -> None:
    import torch
    from rt_synth.kinds.effect.export.native import write_effect
    from rt_synth.kinds.effect.model.config import CONFIGS
    from rt_synth.kinds.effect.model.model import EffectModel

    torch.manual_seed(0)
    m = EffectModel(CONFIGS["wavenet-knobs-tiny"]).eval()
    with torch.no_grad():
        for p in m.parameters():
            p.normal_(0, 0.3)
    with tempfile.TemporaryDirectory() as d:
        out = write_effect(m, Path(d) / "effect_knobs", "effect_knobs")
        path.write_bytes(Path(out).read_bytes())


def midi_chunk(offset: int, data: bytes) -> bytes:
    """fuzz_midi's input format: [len][offset u16 LE][bytes]... (a len of 0 = run a block)."""
    return bytes([len(data)]) + struct.pack("<H", offset) + data


def main() -> None:
    corpus = HERE / "corpus"
    load = corpus / "load"
    load.mkdir(parents=True, exist_ok=True)
    ddsp_micro(load / "ddsp_micro.rtsynth")
    rave_tiny(load / "rave_tiny.rtsynth")
    effect_knobs(load / "effect_knobs.rtsynth")

    midi = corpus / "midi"
    midi.mkdir(parents=True, exist_ok=True)
    block = bytes([0]) + struct.pack("<H", 256)
    seeds = {
        "notes": midi_chunk(0, b"\x90\x40\x64") + midi_chunk(100, b"\x90\x43\x50") + block
        + midi_chunk(5, b"\x80\x40\x00") + block + block,
        "running_status": midi_chunk(0, b"\x90\x3c\x40\x3e\x40\x40\x40") + block + midi_chunk(0, b"\x3c\x00") + block,
        "bend_cc": midi_chunk(0, b"\x90\x45\x7f") + midi_chunk(10, b"\xe0\x00\x7f") + midi_chunk(20, b"\xb0\x01\x7f")
        + midi_chunk(30, b"\xb0\x0b\x20") + midi_chunk(40, b"\xb0\x40\x7f") + block + midi_chunk(0, b"\xb0\x7b\x00") + block,
        "rpn_sysex": midi_chunk(0, b"\xb0\x65\x00\xb0\x64\x00\xb0\x06\x18") + midi_chunk(3, b"\xf0\x7e\x7f\x09\x01\xf7")
        + midi_chunk(9000, b"\x90\x30\x7f") + block + block,
    }
    for name, data in seeds.items():
        (midi / name).write_bytes(data)

    process = corpus / "process"
    process.mkdir(parents=True, exist_ok=True)
    # fuzz_process: [engine][rate][ops...]; see fuzz_process.cpp for the op codes.
    seeds = {
        "synth_48k": bytes([0, 5]) + bytes([3, 0x40, 100, 0, 64, 0, 200, 1, 7, 0x00, 0, 0, 0, 0, 64, 4, 0, 0, 0]),
        "transfer_44k_nan": bytes([1, 3]) + bytes([0, 128, 1, 0, 255, 0, 16, 5, 4, 0, 0, 0x80, 0x7f, 0, 77]),
        "rave_96k_loud": bytes([2, 7]) + bytes([6, 0, 255, 0, 200, 3, 0, 1, 0, 100, 0, 8, 7, 0, 9]),
    }
    for name, data in seeds.items():
        (process / name).write_bytes(data)
    # corpus/process/transfer_1khz_first_use is not written here: it is the input of the timeout
    # found on 2026-12-04 (docs/fuzzing.md, Findings), kept as found.
    for p in sorted(corpus.rglob("*")):
        if p.is_file():
            print(f"{p.relative_to(HERE)}: {p.stat().st_size} bytes")


if __name__ == "__main__":
    main()
