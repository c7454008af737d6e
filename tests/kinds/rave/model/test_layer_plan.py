"""The layer plan (what the C++ core builds) names every conv of the model with its true
shape, stride and dilation, and nothing else has weights."""
import pytest

from rt_synth.kinds.rave.model.config import CONFIGS
from rt_synth.kinds.rave.model.layer_plan import layer_plan, markdown_table
from rt_synth.kinds.rave.model.model import RaveModel


@pytest.mark.parametrize("name", ["tiny", "base"])
def test_layer_plan_matches_model(name):
    c = CONFIGS[name]
    m = RaveModel(c)
    sd = m.state_dict()
    enc, dec = layer_plan(c)
    seen = set()
    for spec in enc + dec:
        w = sd[spec.name + ".weight"]
        want = ((spec.c_out, spec.c_in, spec.kernel) if spec.kind == "CachedConv1d"
                else (spec.c_in, spec.c_out, spec.kernel))
        assert tuple(w.shape) == want, spec
        assert (spec.name + ".bias" in sd) == spec.bias
        conv = m.get_submodule(spec.name)
        assert conv.stride[0] == spec.stride and conv.dilation[0] == spec.dilation
        seen |= {spec.name + ".weight", spec.name + ".bias"}
    weights = {k for k in sd if not k.startswith("latent_") and k != "input_gain"}
    assert weights <= seen
    assert "CachedConvTranspose1d" in markdown_table(c)
