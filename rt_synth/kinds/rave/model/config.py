"""Hyperparameters of the RAVE-style model (docs/rave.md). Everything that shapes the
network is written into the native model file, so the C++ core builds the same network."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Tuple


@dataclass(frozen=True)
class RaveConfig:
    sample_rate: int = 48_000
    # PQMF: M bands, prototype of N taps (Kaiser beta): delay N-1, stopband >= 70 dB
    n_bands: int = 16
    pqmf_taps: int = 208
    pqmf_beta: float = 8.0
    # encoder: conv_in then, per stage, a residual unit and a strided conv
    encoder_channels: Tuple[int, ...] = (32, 64, 96, 128, 128)  # len = len(strides) + 1
    encoder_strides: Tuple[int, ...] = (2, 2, 2, 2)
    latent_size: int = 16
    # decoder: conv_in then, per stage, an upsampling transposed conv and residual units
    decoder_channels: Tuple[int, ...] = (192, 128, 96, 64, 32)  # len = len(strides) + 1
    decoder_strides: Tuple[int, ...] = (2, 2, 2, 2)
    dilations: Tuple[int, ...] = (1, 3, 9)
    kernel: int = 3
    noise: bool = True  # per-band noise branch
    # the decoder's output gates open at least this far: bands = wave * (f + (1-f) sigmoid(amp)).
    # With a harmonic head that sounds right within 100 steps, a gate free to reach 0 shut
    # for good (the decoder's random first outputs only add error; docs/rave.md section 14);
    # with a floor the decoder can fall quiet only by shrinking its waveform, whose gradient
    # does not vanish, so it stays trainable. 0: the plain sigmoid gate.
    decoder_gate_floor: float = 0.0
    # the gated waveform bands pass a one-pole DC blocker of this cutoff (at the band rate)
    # before the noise: a constant in a band is a steady tone at the band's edge after the
    # synthesis, a whine the decoder learnt and no loss removed (band_dc_blocker.py,
    # docs/rave.md section 14). 0: none.
    decoder_dc_block_hz: float = 0.0
    leaky_slope: float = 0.2
    # pitch source (docs/rave.md "Pitch source"): a harmonic excitation at the f0 of the causal
    # YIN (hop R, this range, this threshold), analysed by the PQMF and added (FiLM-gated) to
    # the decoder's last stage. The trainer narrows the range to the training data's.
    pitch_source: bool = False
    pitch_f0_min: float = 130.0
    pitch_f0_max: float = 2000.0
    pitch_threshold: float = 0.15
    # harmonic head (docs/rave.md "Harmonic head"; needs the pitch source): a small causal
    # network on the latent gives per-frame amplitudes of `harmonics` harmonics of the tracked
    # f0; their sum (phase-continuous, the pitch source's phase) is analysed by the PQMF and
    # added to the decoder's output bands. 0: none.
    harmonics: int = 0
    harmonic_channels: int = 128
    # the head also reads the pitch source's f0 and periodicity per latent frame (DDSP's
    # decoder reads f0 too: the envelope of a bowed body depends on which harmonic lands where)
    harmonic_f0: bool = False
    # the head reads the latent (False: only the tracker's features, DDSP-style, so that the
    # input's timbre cannot reach the harmonics through the latent; needs harmonic_f0)
    harmonic_latent: bool = True
    # the head also reads the input's loudness per latent frame: the mean square of the
    # tracker's window in dB (pitch_source.loudness_frames)
    harmonic_loudness: bool = False
    # hidden layers of the head: the first a causal conv of kernel `kernel`, the rest 1x1
    harmonic_layers: int = 1
    # the head also gives the level of the noise in each PQMF band per latent frame (DDSP's
    # filtered noise, on the decoder's noise stream): the noisy part of a bowed or blown sound
    # between the harmonics does not then rest on the waveform path alone
    harmonic_noise: bool = False
    # initial bias of the head's noise outputs (initialisation only). At 0 each band's gain
    # starts at 2 sigmoid(0)^ln10 = 0.41, about 20 dB above the training audio: the first
    # steps then drive the gains down so hard that, for some seeds, they end at the floor
    # (-140 dB) where no gradient reaches them, and the head is dead for good (docs/rave.md
    # section 14). -2 starts them 29 dB lower, below the training level.
    harmonic_noise_bias: float = 0.0
    # training only: the head learns at this fraction of the learning rate. Its outputs go
    # through exp-sigmoids, 20 dB per unit below 0, and Adam (beta2 0.9) moves a pre-activation
    # that sums 128 channels by up to ~0.2 per step at 1e-3: a few dozen steps can drive the
    # amplitudes to the floor, where no gradient reaches them (section 14).
    harmonic_lr_scale: float = 1.0
    # ... rising linearly to the full rate over this many steps (0: the scale throughout). The
    # collapse happens in the first few dozen steps, when the head's random first outputs are
    # far off; once its level is right the full rate is safe and learns the timbre faster.
    harmonic_lr_warmup: int = 0
    # training only: over the last this many steps of phase 1 the generator's learning rate
    # falls linearly to phase1_lr_final of itself (0: no decay). With the head frozen in phase 2
    # (harmonic_freeze_phase2), the head phase 2 keeps is phase 1's last step; at the full rate
    # that step's noise decided the model (section 14: 49.8 at step 5000, 56.9 at 6000).
    phase1_lr_decay: int = 0
    phase1_lr_final: float = 0.1
    # training only: the head is silent for this many steps, then fades in over half as many
    # again. A head that reads f0 and loudness makes a plausible sound within 100 steps; the
    # waveform path, whose first outputs are random, then only adds error and the gradient
    # shuts its gates for good (a silent decoder, a latent that does nothing). Learning first
    # with the excitation alone, as the pitched model does, it keeps a working waveform path.
    harmonic_warmup: int = 0
    # training only: the adversarial phase leaves the head's weights as phase 1 left them
    # (the discriminators otherwise pull its amplitudes off the spectral optimum: section 13)
    harmonic_freeze_phase2: bool = False
    # training
    batch_size: int = 6
    learning_rate: float = 1e-3
    train_samples: int = 8_192  # crop per example (rounded down to the ratio)
    phase2_step: int = 2_000  # step at which the encoder freezes and the GAN phase starts
    kl_weight: float = 1e-3  # beta, reached linearly over kl_warmup steps (0.05 collapsed
    # the posterior within 1000 steps: KL -> 0.04 nats, the decoder ignored z)
    kl_warmup: int = 1_000
    band_loss_weight: float = 1.0
    # weight of the band-DC loss: mean |offset| per PQMF band of the output over the crop
    # against the target's. A constant in a band is a steady tone at the band's edge after the
    # synthesis filters (multiples of sr/2M: 1.5, 3, ... kHz); the spectral losses, averaged
    # over all bins, barely see it, and a quiet waveform decoder learnt one (docs/rave.md
    # section 14). 0: off.
    band_dc_weight: float = 0.0
    adversarial_weight: float = 1.0
    feature_matching_weight: float = 10.0
    disc_channels: int = 8
    disc_periods: Tuple[int, ...] = (2, 3, 5, 7)
    disc_scales: int = 2
    disc_learning_rate: float = 1e-4
    # training only: dB range of the random spectral envelopes the encoder's input goes
    # through (the target stays clean; rt_synth/train/timbre_augment.py). 0: none.
    timbre_augment: float = 0.0
    checkpoint_every: int = 250
    validate_every: int = 250

    # ---- derived ----
    @property
    def encoder_ratio(self) -> int:
        r = 1
        for s in self.encoder_strides:
            r *= s
        return r

    @property
    def ratio(self) -> int:
        """Audio samples per latent frame."""
        return self.n_bands * self.encoder_ratio

    @property
    def band_delay_frames(self) -> int:
        """Band frames the decoder output lags its input: a latent frame has seen band
        frames up to its own first one, so the last of its R_e output frames can be right
        on time only if all are R_e - 1 frames late."""
        return self.encoder_ratio - 1

    @property
    def latency(self) -> int:
        """Algorithmic latency in samples: PQMF analysis+synthesis (N-1) plus the block
        buffering of one latent frame ((R_e - 1) band frames of M samples)."""
        return self.pqmf_taps - 1 + self.band_delay_frames * self.n_bands

    def validate(self) -> None:
        if len(self.encoder_channels) != len(self.encoder_strides) + 1:
            raise ValueError("encoder_channels needs one entry more than encoder_strides")
        if len(self.decoder_channels) != len(self.decoder_strides) + 1:
            raise ValueError("decoder_channels needs one entry more than decoder_strides")
        dec = 1
        for s in self.decoder_strides:
            dec *= s
        if dec != self.encoder_ratio:
            raise ValueError(f"decoder upsamples x{dec}, encoder downsamples x{self.encoder_ratio}")
        if self.harmonics < 0 or self.harmonic_channels < 1:
            raise ValueError("harmonics must be >= 0 and harmonic_channels >= 1")
        if self.harmonics and not self.pitch_source:
            raise ValueError("the harmonic head needs the pitch source (pitch_source=True)")
        if self.harmonic_layers < 1:
            raise ValueError("harmonic_layers must be >= 1")
        if not 0.0 <= self.decoder_gate_floor < 1.0:
            raise ValueError("decoder_gate_floor must be in [0, 1)")
        if not 0.0 <= self.decoder_dc_block_hz <= self.sample_rate / (4.0 * self.n_bands):
            raise ValueError("decoder_dc_block_hz must be in [0, sample_rate / (4 n_bands)] "
                             "(a cutoff below half the band's bandwidth; 0: no DC blocker)")
        if self.harmonics and not self.harmonic_latent and not self.harmonic_f0:
            raise ValueError("a harmonic head that does not read the latent must read the f0 "
                             "(harmonic_f0=True)")

    def to_dict(self) -> dict:
        d = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls, d: dict) -> "RaveConfig":
        known = {f.name: f for f in fields(cls)}
        kw = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items() if k in known}
        return cls(**kw)

    def with_overrides(self, **kw) -> "RaveConfig":
        return replace(self, **{k: v for k, v in kw.items() if v is not None})


CONFIGS = {
    # trains in seconds: tests and smoke runs. M=8, R=32, latency 103 + 3*8 = 127 samples
    "tiny": RaveConfig(
        n_bands=8, pqmf_taps=104, encoder_channels=(8, 12, 16), encoder_strides=(2, 2),
        latent_size=4, decoder_channels=(16, 12, 8), decoder_strides=(2, 2), dilations=(1, 3),
        batch_size=2, train_samples=4096, phase2_step=4, kl_warmup=4, disc_channels=4,
        disc_periods=(2, 3), disc_scales=2, checkpoint_every=4, validate_every=4,
    ),
    # M=16, R=256 (187.5 latent frames/s), latency 207 + 15*16 = 447 samples (9.3 ms);
    # sized to train on a CPU in about an hour (0.85M parameters, small discriminators)
    # No noise branch: with it, the decoder learnt to emit shaped noise from the noise branch
    # and ignore z (posterior collapse within 1500 steps); the deterministic path alone
    # has to use the latent.
    "base": RaveConfig(noise=False),
    # base with the pitch source (issue 14): the decoder gets a phase-continuous harmonic
    # excitation at the tracked f0, so it shapes an oscillation instead of learning one. The
    # noise branch is back on (bow noise, unpitched input); the pitch source carries what the
    # latent must not collapse onto.
    "pitched": RaveConfig(noise=True, pitch_source=True, phase2_step=6_000),
    # pitched plus the harmonic head (issue 14, second design): the periodic part of the
    # sound is a sum of harmonics whose amplitudes the latent sets (DDSP-style, at the latent
    # frame rate), so the waveform decoder only adds what is not harmonic (bow noise,
    # transients, unpitched input). The pitched model's decoder filled the valleys between
    # harmonics with an aperiodic component (docs/rave.md section 11).
    # The encoder hears the examples through random spectral envelopes (timbre_augment), so
    # that the latent cannot carry the input's timbre: a flute played into it comes out as
    # the training instrument, not as a flute.
    "harmonic": RaveConfig(noise=True, pitch_source=True, harmonics=64, phase2_step=6_000,
                           timbre_augment=12.0),
    # harmonic, and the head reads the f0 and periodicity too (DDSP-style conditioning)
    "harmonic-f0": RaveConfig(noise=True, pitch_source=True, harmonics=64, harmonic_f0=True,
                              phase2_step=6_000, timbre_augment=12.0),
    # the head reads what the tracker measures (f0, periodicity, loudness), like DDSP's
    # decoder, and the latent: the harmonics and the noise between them follow the played
    # pitch and level, and the latent moves their balance (a playable latent). Strong timbre
    # augmentation, so that the input's own envelope does not reach the head through the
    # latent. The waveform decoder's gates have a floor (it died without one, section 13),
    # and the adversarial phase trains the waveform path only (docs/rave.md section 14).
    "harmonic-ddsp": RaveConfig(noise=True, pitch_source=True, harmonics=64, harmonic_f0=True,
                                harmonic_latent=True, harmonic_loudness=True,
                                harmonic_layers=3, harmonic_noise=True, decoder_gate_floor=0.1,
                                harmonic_freeze_phase2=True, band_dc_weight=100.0,
                                decoder_dc_block_hz=10.0,
                                phase2_step=6_000, timbre_augment=18.0),
}
# harmonic-ddsp whose head cannot collapse in the first steps (docs/rave.md section 14): its
# noise starts below the training level and it learns at a tenth of the rate, rising to the
# full rate over 1000 steps. With seed 2 harmonic-ddsp's head fell to the floor within 30
# steps; this one's did not. Not the shipped recipe: measured once per seed, equal on seed 0.
# The learning rate also decays over the last 1000 steps of phase 1 (not yet trained with it).
CONFIGS["harmonic-ddsp-warm"] = replace(CONFIGS["harmonic-ddsp"], harmonic_noise_bias=-2.0,
                                        harmonic_lr_scale=0.1, harmonic_lr_warmup=1_000,
                                        phase1_lr_decay=1_000, phase1_lr_final=0.1)
# the tiny test variants: tiny plus the pitch source, then the harmonic heads
CONFIGS["tiny-pitched"] = replace(CONFIGS["tiny"], pitch_source=True, pitch_f0_min=100.0)
CONFIGS["tiny-harmonic"] = replace(CONFIGS["tiny-pitched"], harmonics=8, harmonic_channels=8,
                                   harmonic_f0=True)
# tiny-harmonic with the DDSP-style head
CONFIGS["tiny-harmonic-ddsp"] = replace(
    CONFIGS["tiny-harmonic"], harmonic_latent=False, harmonic_loudness=True, harmonic_layers=2,
    harmonic_noise=True, timbre_augment=12.0)
# and with harmonic-ddsp-warm's training keys (the head's own Adam group, its warm-up, the
# end-of-phase-1 decay), scaled to the tiny run's few steps
CONFIGS["tiny-harmonic-ddsp-warm"] = replace(
    CONFIGS["tiny-harmonic-ddsp"], harmonic_noise_bias=-2.0, harmonic_lr_scale=0.1,
    harmonic_lr_warmup=2, phase1_lr_decay=2, phase1_lr_final=0.1)


def get_config(name: str) -> RaveConfig:
    from rt_synth.errors import UserError

    if name not in CONFIGS:
        raise UserError(f"unknown RAVE config {name!r}; choose one of {', '.join(CONFIGS)}")
    return CONFIGS[name]
