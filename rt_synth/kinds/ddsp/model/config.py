"""Hyperparameters of the DDSP harmonic-plus-noise model.

Everything here is written into the native model file (docs/model-format.md), so the C++
core builds exactly the network that was trained.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace


@dataclass(frozen=True)
class DDSPConfig:
    sample_rate: int = 48_000
    hop: int = 192  # 250 frames/s, 4 ms
    n_harmonics: int = 64
    n_noise_bands: int = 65  # noise FIR of 2*(65-1) = 128 taps
    hidden_size: int = 256
    gru_size: int = 384
    mlp_layers: int = 2
    # control ranges: inputs are clamped to these before normalisation (in the core too)
    f0_min_hz: float = 20.0
    f0_max_hz: float = 4000.0
    loudness_min_db: float = -100.0
    loudness_max_db: float = 0.0
    # training
    batch_size: int = 8
    learning_rate: float = 1e-3
    lr_decay_steps: int = 10_000  # exponential decay: x0.5 every lr_decay_steps
    train_seconds: float = 1.0  # random crop of each example for a training step
    checkpoint_every: int = 500
    validate_every: int = 500

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "DDSPConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def with_overrides(self, **kw) -> "DDSPConfig":
        return replace(self, **{k: v for k, v in kw.items() if v is not None})


CONFIGS = {
    # trains in seconds: for tests and smoke runs
    "tiny": DDSPConfig(
        n_harmonics=16, n_noise_bands=17, hidden_size=32, gru_size=32, mlp_layers=1,
        batch_size=4, train_seconds=0.5, checkpoint_every=20, validate_every=20,
    ),
    # quality: 1.5M parameters (6 MB of weights), far faster than real time in the core
    "base": DDSPConfig(),
    # polyphony on small machines: a quarter of base's multiply-adds and weight traffic
    # (hidden 128, GRU 192: 0.38M parameters, 1.5 MB), for 8 live voices on 2 shared cores
    "live": DDSPConfig(hidden_size=128, gru_size=192),
}


def get_config(name: str) -> DDSPConfig:
    from rt_synth.errors import UserError

    if name not in CONFIGS:
        raise UserError(f"unknown DDSP config {name!r}; choose one of {', '.join(CONFIGS)}")
    return CONFIGS[name]
