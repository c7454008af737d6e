import pytest
import torch

from rt_synth.kinds.rave.model.config import CONFIGS
from rt_synth.kinds.rave.model.model import RaveModel


@pytest.fixture
def tiny_rave():
    """Tiny model with random (not small) weights and non-trivial latent statistics."""
    torch.manual_seed(0)
    m = RaveModel(CONFIGS["tiny"])
    for name, p in m.named_parameters():
        if not name.startswith("pqmf"):
            p.data.normal_(0, 0.4)
    d = m.config.latent_size
    q, _ = torch.linalg.qr(torch.randn(d, d))
    m.set_latent_statistics(torch.randn(d) * 0.1, q, torch.rand(d) + 0.5)
    m.input_gain.fill_(2.5)
    return m.eval().double()
