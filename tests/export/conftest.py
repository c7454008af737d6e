import pytest
import torch

from rt_synth.kinds.ddsp.model.config import CONFIGS
from rt_synth.kinds.ddsp.model.model import DDSPModel


@pytest.fixture
def tiny_model():
    torch.manual_seed(0)
    m = DDSPModel(CONFIGS["tiny"]).eval()
    for p in m.parameters():
        p.data.normal_(0, 0.3)
    m.decoder.set_normalisation(57.0, 7.0, -35.0, 15.0)
    return m
