"""Native export: every key and tensor the C++ core needs, readable by an independent GGUF
reader (the gguf package's)."""
import numpy as np

from rt_synth.kinds.ddsp.export.native import write_ddsp


def test_native_file_has_contract_keys_and_tensors(tiny_model, tmp_path):
    import gguf

    path = write_ddsp(tiny_model, tmp_path / "m", "m", feature_delay=512)
    assert path.suffix == ".rtsynth"
    r = gguf.GGUFReader(str(path))
    fields = {f.name: f for f in r.fields.values()}

    def val(key):
        f = fields[key]
        return f.contents() if hasattr(f, "contents") else f.parts[f.data[0]][0]

    c = tiny_model.config
    assert val("rt_synth.format_version") == 1
    assert val("rt_synth.kind") == "ddsp"
    assert val("rt_synth.sample_rate") == c.sample_rate
    assert val("rt_synth.hop") == c.hop
    assert val("rt_synth.ddsp.n_harmonics") == c.n_harmonics
    assert abs(val("rt_synth.ddsp.f0_midi_std") - 7.0) < 1e-6
    tensors = {t.name: t for t in r.tensors}
    sd = tiny_model.decoder.state_dict()
    assert set(tensors) >= {"gru.weight_ih", "gru.weight_hh", "head.weight", "mlp_o.0.norm.bias"}
    np.testing.assert_array_equal(
        np.asarray(tensors["gru.weight_hh"].data).reshape(sd["gru.weight_hh_l0"].shape),
        sd["gru.weight_hh_l0"].numpy())
