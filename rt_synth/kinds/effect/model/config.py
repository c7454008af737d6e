"""Hyperparameters of an effect model (kind "effect"): the network and its training."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace


@dataclass(frozen=True)
class WaveNetLayerArray:
    """One stack of NAM's WaveNet: input_size → channels, a dilated layer per entry of
    dilations, summed into a head of head_size channels."""
    input_size: int
    condition_size: int
    head_size: int
    channels: int
    kernel_size: int
    dilations: tuple
    activation: str = "Tanh"
    gated: bool = False
    head_bias: bool = False


@dataclass(frozen=True)
class EffectConfig:
    arch: str = "lstm"  # "lstm" (per-sample recurrent, with skip) or "wavenet"
    sample_rate: int = 48_000
    # lstm
    hidden_size: int = 32
    num_layers: int = 1
    skip: bool = True  # output = input + head(lstm): the network learns the difference
    # wavenet (NAM's layout): layer arrays as dicts of WaveNetLayerArray's fields
    layers: tuple = ()
    head_scale: float = 0.02
    # training (Wright et al. 2020: ESR on pre-emphasised signals, plus a DC term)
    pre_emphasis: float = 0.95
    dc_weight: float = 1.0
    segment_samples: int = 4096  # the part of a training example in the loss
    warmup_samples: int = 1024  # samples run first to settle the state, not in the loss
    batch_size: int = 16
    learning_rate: float = 5e-3
    lr_decay_steps: int = 3000  # exponential decay: x0.5 every lr_decay_steps
    checkpoint_every: int = 500
    validate_every: int = 500
    # knobs the model is conditioned on (docs/effect-models.md, "Knobs"): dicts {"name", "min",
    # "max", "default"}; the network reads [audio, knob_1..knob_K], each knob as
    # (value - min) / (max - min). No knobs: the network, its state dict and files as before
    knobs: tuple = ()

    def to_dict(self) -> dict:
        d = asdict(self)
        d["layers"] = [dict(la) for la in d["layers"]]
        if self.knobs:
            d["knobs"] = [dict(k) for k in d["knobs"]]
        else:
            del d["knobs"]  # an unconditioned model's config reads as it always did
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "EffectConfig":
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in known}
        if "layers" in kw:
            kw["layers"] = tuple({**la, "dilations": tuple(la["dilations"])} for la in kw["layers"])
        if "knobs" in kw:
            kw["knobs"] = tuple(dict(k) for k in kw["knobs"])
        return cls(**kw)

    def with_overrides(self, **kw) -> "EffectConfig":
        return replace(self, **{k: v for k, v in kw.items() if v is not None})

    @property
    def knob_names(self) -> tuple:
        return tuple(k["name"] for k in self.knobs)

    def knob_defaults(self) -> list:
        return [float(k["default"]) for k in self.knobs]

    def normalise_knobs(self, values) -> list:
        """Knob values (a list in knob order, or a dict by name; missing names take their
        default) → the network's 0..1 inputs, each clamped to its range first."""
        from rt_synth.errors import UserError

        if isinstance(values, dict):
            unknown = set(values) - set(self.knob_names)
            if unknown:
                raise UserError(f"unknown knob(s) {sorted(unknown)}; this model has "
                                f"{list(self.knob_names) or 'no knobs'}")
            values = [values.get(k["name"], k["default"]) for k in self.knobs]
        if len(values) != len(self.knobs):
            raise UserError(f"{len(values)} knob values for a model with {len(self.knobs)} knobs")
        out = []
        for v, k in zip(values, self.knobs):
            lo, hi = float(k["min"]), float(k["max"])
            out.append((min(max(float(v), lo), hi) - lo) / (hi - lo))
        return out

    @property
    def receptive_field(self) -> int:
        """Samples of input one output sample depends on (1 + the convolutions' history);
        a recurrent model's is unbounded and given as 1."""
        if self.arch != "wavenet":
            return 1
        return 1 + sum((la["kernel_size"] - 1) * d for la in self.layers for d in la["dilations"])


def nam_wavenet_layers(channels: tuple, head: int = 1, kernel: int = 3,
                       dilations: tuple = tuple(2 ** i for i in range(10)), knobs: int = 0) -> tuple:
    """Two layer arrays in NAM's arrangement: channels[0] then channels[1], the second
    reading the first's residual stream and head. With knobs the condition (every layer's
    input mixin) is [audio, knobs]: condition_size 1 + knobs."""
    c1, c2 = channels
    return (
        asdict(WaveNetLayerArray(1, 1 + knobs, c2, c1, kernel, dilations, head_bias=False)),
        asdict(WaveNetLayerArray(c1, 1 + knobs, head, c2, kernel, dilations, head_bias=True)),
    )


def _wavenet(channels: tuple, knobs: tuple = ()) -> EffectConfig:
    return EffectConfig(arch="wavenet", layers=nam_wavenet_layers(channels, knobs=len(knobs)),
                        warmup_samples=0, pre_emphasis=0.85, lr_decay_steps=1000, batch_size=8,
                        learning_rate=4e-3, knobs=knobs)


# The knobs of the rendered "overdrive-knobs" pairs (rt_synth/data/pairs.py KNOB_CHAINS): the
# drive's gain and a treble shelf after it, in dB
from rt_synth.data.pairs import OVERDRIVE_KNOBS  # noqa: E402


CONFIGS = {
    # tests and smoke runs: trains in seconds
    "lstm-tiny": EffectConfig(arch="lstm", hidden_size=8, segment_samples=1024, warmup_samples=256,
                              batch_size=4, checkpoint_every=20, validate_every=20),
    "lstm-knobs-tiny": EffectConfig(arch="lstm", hidden_size=8, segment_samples=1024,
                                    warmup_samples=256, batch_size=4, checkpoint_every=20,
                                    validate_every=20, knobs=OVERDRIVE_KNOBS),
    "wavenet-knobs-tiny": EffectConfig(arch="wavenet", layers=nam_wavenet_layers(
        (4, 2), dilations=(1, 2, 4, 8), knobs=2), segment_samples=1024, warmup_samples=0,
        batch_size=4, checkpoint_every=20, validate_every=20, knobs=OVERDRIVE_KNOBS),
    "wavenet-tiny": EffectConfig(arch="wavenet", layers=nam_wavenet_layers((4, 2), dilations=(1, 2, 4, 8)),
                                 segment_samples=1024, warmup_samples=0, batch_size=4,
                                 checkpoint_every=20, validate_every=20),
    # GuitarML-sized recurrent models. Pre-emphasis 0.85 (not 0.95): the plain ESR also
    # counts the bass, which 0.95 all but ignores (docs/effect-models.md, "Figures")
    "lstm": EffectConfig(arch="lstm", hidden_size=32, pre_emphasis=0.85, lr_decay_steps=1500),
    "lstm-small": EffectConfig(arch="lstm", hidden_size=16, pre_emphasis=0.85, lr_decay_steps=1500),
    # WaveNet in NAM's arrangement at the channel counts of its size classes (standard 16/8,
    # feather 8/4, nano 4/2); the exact presets are checked against the neural-amp-modeler
    # package with the .nam import (issue 11). Trained as the shipped recipe measured:
    # batch 8, rate 4e-3 halving every 1 000 steps, pre-emphasis 0.85
    "wavenet-standard": _wavenet((16, 8)),
    "wavenet-feather": _wavenet((8, 4)),
    "wavenet-nano": _wavenet((4, 2)),
    # conditioned on the overdrive-knobs pairs' gain and tone (docs/effect-models.md, "Knobs")
    "wavenet-standard-knobs": _wavenet((16, 8), OVERDRIVE_KNOBS),
    "lstm-knobs": EffectConfig(arch="lstm", hidden_size=32, pre_emphasis=0.85, lr_decay_steps=1500,
                               knobs=OVERDRIVE_KNOBS),
}


def get_config(name: str) -> EffectConfig:
    from rt_synth.errors import UserError

    if name not in CONFIGS:
        raise UserError(f"unknown effect config {name!r}; choose one of {', '.join(CONFIGS)}")
    return CONFIGS[name]
