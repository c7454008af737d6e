"""Training of the RAVE-style model (docs/rave.md).

Phase 1 (steps < phase2_step): VAE. Loss = multi-scale spectral distance on the full band
+ on the PQMF bands + beta * KL, beta ramped linearly from 0 over kl_warmup steps.
At the switch: the latent statistics (mean, principal directions) are computed on the
training set and the encoder is frozen.
Phase 2: the decoder trains against multi-scale and multi-period discriminators (hinge
loss) with feature matching, keeping the spectral distance.

Targets are delayed by the model's algorithmic latency (config.latency): output sample n
is built from latent frames that have seen input up to floor(n/R)*R only, so the decoder
can be on time only for audio R - M samples old, plus the PQMF's N-1 (docs/rave.md).

Progress bar, checkpoints, resume, TensorBoard, spectrogram PNGs: TrainingRun (loop.py).
Several processes (torchrun): gradients are averaged by hand after each backward (an
all-reduce per parameter), which stays correct when the encoder stops receiving gradients
at the phase switch (a DDP wrapper would need find_unused_parameters and a rebuild).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.distributed as tdist
from torch.nn import functional as F
from torch.utils.data import DataLoader, DistributedSampler, RandomSampler

from rt_synth.errors import UserError
from rt_synth.dsp.spectral_loss import MultiScaleSpectralLoss
from rt_synth.kinds.rave.model.config import RaveConfig, get_config
from rt_synth.kinds.rave.model.discriminators import (Discriminators, discriminator_hinge,
                                                 feature_matching, generator_adversarial)
from rt_synth.kinds.rave.model.latent_stats import min_frames, principal_directions
from rt_synth.kinds.rave.model.model import RaveModel
from rt_synth.train.checkpoint import read_run_info, write_run_info
from rt_synth.train.distributed import DistInfo, init_distributed, shutdown
from rt_synth.train.loop import TrainingRun
from rt_synth.train.timbre_augment import augment_timbre

FULL_BAND_FFTS = (2048, 1024, 512, 256, 128)
BAND_FFTS = (256, 128, 64, 32)


def delay_frames(x: torch.Tensor, d: int) -> torch.Tensor:
    return F.pad(x, (d, 0))[..., : x.shape[-1]] if d else x


class RaveLosses(torch.nn.Module):
    """Multi-scale spectral distance on the full band and (optionally) on the bands, against
    targets delayed by the model's latency."""

    def __init__(self, config: RaveConfig):
        super().__init__()
        self.config = config
        self.full = MultiScaleSpectralLoss(FULL_BAND_FFTS)
        self.bands = MultiScaleSpectralLoss(BAND_FFTS)

    def targets(self, audio: torch.Tensor, bands_in: torch.Tensor):
        return (delay_frames(audio, self.config.latency),
                delay_frames(bands_in, self.config.band_delay_frames))

    def forward(self, out: dict, audio: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(full-band, bands) spectral distances; the bands' term includes the band-DC loss
        (config.band_dc_weight)."""
        target, target_bands = self.targets(audio, out["bands_in"])
        full = self.full(out["audio"][:, 0], target[:, 0])
        bands = self.bands(out["bands"].reshape(-1, out["bands"].shape[-1]),
                           target_bands.reshape(-1, target_bands.shape[-1]))
        if self.config.band_dc_weight > 0:
            bands = bands + self.config.band_dc_weight * band_dc(out["bands"], target_bands)
        return full, bands


def band_dc(bands: torch.Tensor, target_bands: torch.Tensor) -> torch.Tensor:
    """Mean |offset| of each PQMF band over the crop, output [B, M, F] against target."""
    return (bands.mean(-1) - target_bands.to(bands.dtype).mean(-1)).abs().mean()


def average_gradients(params, dist: DistInfo) -> None:
    if not dist.enabled:
        return
    for p in params:
        if p.grad is not None:
            tdist.all_reduce(p.grad)
            p.grad.div_(dist.world_size)


TARGET_RMS = 0.1  # level the network works at (-20 dBFS)


def dataset_gain(dataset, max_examples: int = 64) -> float:
    """input_gain that brings the training set's RMS to TARGET_RMS."""
    n = min(len(dataset), max_examples)
    idx = np.linspace(0, len(dataset) - 1, n).round().astype(int)
    ms = np.mean([float(dataset[int(i)]["audio"].pow(2).mean()) for i in idx])
    if not np.isfinite(ms) or ms <= 1e-12:
        raise UserError("the training audio is silent (RMS < -120 dBFS): nothing to learn from")
    return float(np.clip(TARGET_RMS / np.sqrt(ms), 1e-2, 1e3))


@torch.no_grad()
def broadcast_state(modules, dist: DistInfo) -> None:
    """Every process starts from rank 0's weights and buffers (ranks seed differently)."""
    if not dist.enabled:
        return
    for m in modules:
        for t in m.state_dict().values():
            if torch.is_tensor(t) and t.is_floating_point():
                tdist.broadcast(t, 0)


@torch.no_grad()
def compute_latent_statistics(model: RaveModel, dataset, device, max_examples: int = 256):
    """Posterior means over (up to max_examples of) the training set → model buffers."""
    model.eval()
    n = min(len(dataset), max_examples)
    zs = []
    for i in range(n):
        audio = dataset[i]["audio"][None, None].to(device)
        mean, _ = model.posterior(audio * model.input_gain)
        zs.append(mean[0].T.cpu())
    model.train()
    z = torch.cat(zs) if zs else torch.zeros(0, model.config.latent_size)
    mean, pca, std = principal_directions(z)
    model.set_latent_statistics(mean.to(device), pca.to(device), std.to(device))
    return z.shape[0]


def pitch_range(dataset, config: RaveConfig) -> tuple[float, float]:
    """The pitch source's tracker range from the training data: voiced frames' f0 (dataset
    track, periodicity > 0.95) from the 0.5th to the 99.5th percentile, widened by a fifth
    below (lower instruments played into the model still track) and a major third above,
    within [50 Hz, 0.2*SR]. Written into the model file: the core's tracker uses it."""
    maps = dataset._open()
    f0 = np.asarray(maps["f0"]).reshape(-1)
    per = np.asarray(maps["periodicity"]).reshape(-1)
    voiced = f0[(per > 0.95) & np.isfinite(f0) & (f0 > 0)]
    if voiced.size < 100:
        return config.pitch_f0_min, config.pitch_f0_max
    lo = float(np.percentile(voiced, 0.5)) / 2 ** (7 / 12)
    hi = float(np.percentile(voiced, 99.5)) * 2 ** (4 / 12)
    lo = float(np.clip(round(lo, 1), 50.0, 0.1 * config.sample_rate))
    hi = float(np.clip(round(hi, 1), 2 * lo, 0.2 * config.sample_rate))
    return lo, hi


def check_dataset(train_len: int, example_samples: int, config: RaveConfig, data: str,
                  world_size: int = 1) -> int:
    """Training window in samples; UserError with the fix when the dataset is too small."""
    r = config.ratio
    window = min(config.train_samples, example_samples) // r * r
    if window < 2 * r:
        raise UserError(f"dataset {data}: examples of {example_samples} samples are too short "
                        f"for the model (ratio {r}: at least {2 * r} samples); prepare it "
                        f"again with a longer --example-seconds")
    need = config.batch_size * world_size
    if train_len < need:
        raise UserError(f"dataset {data} has {train_len} training example(s), fewer than one "
                        f"batch ({config.batch_size} x {world_size} process(es) = {need}): add "
                        f"audio and prepare it again, or pass --batch-size {max(1, train_len // world_size)}")
    frames = train_len * (example_samples // r)
    if frames < min_frames(config.latent_size):
        raise UserError(f"dataset {data} gives only {frames} latent frames, too few for the "
                        f"latent statistics of {config.latent_size} dimensions (need "
                        f"{min_frames(config.latent_size)}): add audio and prepare it again")
    return window


def train_rave(data: str, out: str, config_name: str = "base", steps: int = 10_000,
               batch_size: int | None = None, learning_rate: float | None = None,
               workers: int = 0, seed: int = 0, phase2_step: int | None = None) -> Path:
    from rt_synth.data.dataset import AudioFeatureDataset, load_dataset_info

    dist = init_distributed()
    run_dir = Path(out)
    info = load_dataset_info(data)
    config = get_config(config_name).with_overrides(
        batch_size=batch_size, learning_rate=learning_rate, phase2_step=phase2_step)
    # resuming: the run's config wins; --phase2-step, --lr and --batch-size may change (a run
    # moved to another machine, docs/training-gpu.md)
    saved = read_run_info(run_dir, "rave")
    resuming = saved is not None
    if resuming:
        config = RaveConfig.from_dict(saved["config"]).with_overrides(
            phase2_step=phase2_step, learning_rate=learning_rate, batch_size=batch_size)
    if int(info["sample_rate"]) != config.sample_rate:
        raise UserError(f"dataset {data} is at {info['sample_rate']} Hz, the model needs "
                        f"{config.sample_rate} Hz: prepare it with --sample-rate {config.sample_rate}")

    train_set = AudioFeatureDataset(data, "train")
    valid_set = AudioFeatureDataset(data, "valid")
    if config.pitch_source and not resuming:  # a new run: the data's pitch range
        lo, hi = pitch_range(train_set, config)
        config = config.with_overrides(pitch_f0_min=lo, pitch_f0_max=hi)
    window = check_dataset(len(train_set), train_set.example_samples, config, data,
                           dist.world_size)

    if dist.device.type == "cuda":  # fixed crop shapes: let cuDNN pick its fastest kernels
        torch.backends.cudnn.benchmark = True
    torch.manual_seed(seed + dist.rank)
    np.random.seed(seed + dist.rank)
    model = RaveModel(config).to(dist.device)
    model.input_gain.fill_(dataset_gain(train_set))  # a resumed run loads its own below
    disc = Discriminators(config.disc_channels, config.disc_periods, config.disc_scales
                          ).to(dist.device)
    opt_g = torch.optim.Adam(generator_groups(model, config), lr=config.learning_rate,
                             betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(disc.parameters(), lr=config.disc_learning_rate, betas=(0.5, 0.9))
    losses = RaveLosses(config).to(dist.device)

    run = TrainingRun(run_dir, dist, steps, config.sample_rate)
    modules = {"model": model, "disc": disc, "opt_g": opt_g, "opt_d": opt_d}
    resumed = run.resume(modules)
    for group in opt_g.param_groups:  # the config's rate, also over a resumed optimiser's
        group["lr"] = generator_lr(config, run.state.step, is_head_group(group))
    if dist.is_main:
        if resumed:
            print(f"resuming {run_dir} at step {run.state.step}")
        print(f"input gain {float(model.input_gain):.2f} (training RMS -> {TARGET_RMS})")
        write_run_info(run_dir, {"kind": "rave", "config": config.to_dict(),
                                 "config_name": config_name,
                                 "dataset": str(Path(data).resolve()),
                                 "world_size": dist.world_size, "ratio": config.ratio,
                                 "latency_samples": config.latency,
                                 "parameters": model.n_parameters})
    broadcast_state([model, disc], dist)
    if run.state.step >= steps:
        if dist.is_main:
            print(f"{run_dir} is already at step {run.state.step} ≥ {steps}: nothing to do")
        _finish(model, train_set, run, dist, modules)
        return run_dir

    if dist.enabled:
        sampler = DistributedSampler(train_set, shuffle=True, seed=seed, drop_last=True)
    else:
        sampler = RandomSampler(train_set, replacement=True, num_samples=10**9)
    loader = DataLoader(train_set, batch_size=config.batch_size, sampler=sampler,
                        num_workers=workers, drop_last=True, persistent_workers=workers > 0)

    run.start_bar("train rave")
    with run.interruptible(modules, model.payload):
        epoch, done = 0, False
        while not done:
            if dist.enabled:
                sampler.set_epoch(epoch)
            for batch in loader:
                raw, pitch = training_window(batch["audio"], window, config)
                audio = raw.to(dist.device) * model.input_gain
                augmented = pitch.pop("input", None)  # config.timbre_augment
                audio_in = (augmented.to(dist.device) * model.input_gain
                            if augmented is not None else None)
                pitch = {k: (v.to(dist.device) if torch.is_tensor(v) else
                             tuple(t.to(dist.device) for t in v)) for k, v in pitch.items()}
                step = run.state.step
                model.head_scale = harmonic_head_scale(config, step)
                for group in opt_g.param_groups:  # the head's scale, the end-of-phase-1 decay
                    group["lr"] = generator_lr(config, step, is_head_group(group))
                if step >= config.phase2_step and not bool(model.latent_stats_ready):
                    n = compute_latent_statistics(model, train_set, dist.device)
                    if run.bar is not None:
                        run.bar.write(f"step {step}: phase 2 (encoder frozen, discriminators on); "
                                      f"latent statistics from {n} frames, std "
                                      f"{model.latent_std[:4].tolist()}…")
                if step < config.phase2_step:
                    logs = vae_step(model, losses, opt_g, audio, step, config, dist, pitch,
                                    audio_in)
                else:
                    logs = gan_step(model, disc, losses, opt_g, opt_d, audio, config, dist, pitch,
                                    audio_in)
                run.state.step += 1
                run.log_train(logs, opt_g.param_groups[0]["lr"])
                step = run.state.step
                if step % config.validate_every == 0 or step == steps:
                    validate(model, valid_set, losses, run, dist.device)
                if step % config.checkpoint_every == 0 or step == steps:
                    if step == steps and not bool(model.latent_stats_ready):
                        compute_latent_statistics(model, train_set, dist.device)
                    run.save(modules, model.payload())
                if step >= steps:
                    done = True
                    break
            epoch += 1
    _finish(model, train_set, run, dist, modules)
    return run_dir


def _finish(model, train_set, run, dist, modules) -> None:
    if not bool(model.latent_stats_ready):  # run ended inside phase 1: still export-ready
        compute_latent_statistics(model, train_set, dist.device)
        run.save(modules, model.payload())
    run.close()
    shutdown(dist)


def random_window(audio: torch.Tensor, window: int) -> torch.Tensor:
    t = audio.shape[-1]
    starts = torch.randint(0, t - window + 1, (audio.shape[0],)).tolist()
    return torch.stack([audio[i, s:s + window] for i, s in enumerate(starts)])[:, None]


PITCH_CONTEXT_FRAMES = 4  # latent frames of audio before a crop that its YIN track sees


def training_window(audio: torch.Tensor, window: int, config: RaveConfig):
    """Random crops [B, 1, window] of the examples [B, T] (raw level) and, with a pitch source,
    their YIN track: the crop starts on a latent-frame boundary of the example and the tracker
    runs over up to PITCH_CONTEXT_FRAMES*R samples before it (zeros before the example's start,
    as after a reset), so its frames are those the core computes for this audio. Returns the
    crops and the decoder's pitch inputs (f0, periodicity [B, window/R], previous (f0,
    periodicity, random phase) [B]).

    With config.timbre_augment > 0 the pitch inputs also carry "input": the crops through a
    random spectral envelope each (timbre_augment.py), what the encoder and the tracker hear;
    the crops themselves stay the clean target."""
    amount = float(config.timbre_augment)
    rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, ()).item()))
    if not config.pitch_source:
        crops = random_window(audio, window)
        if amount <= 0:
            return crops, {}
        inputs = [augment_timbre(c[0].numpy(), config.sample_rate, amount, rng) for c in crops]
        return crops, {"input": torch.from_numpy(np.stack(inputs))[:, None]}
    from rt_synth.kinds.rave.model.pitch_source import loudness_frames, track_frames

    r = config.ratio
    b, t = audio.shape
    ctx = PITCH_CONTEXT_FRAMES * r
    with_loudness = bool(config.harmonics and config.harmonic_loudness)
    crops, inputs, f0s, pers, pf, pp, louds = [], [], [], [], [], [], []
    for i in range(b):
        start = int(torch.randint(0, (t - window) // r + 1, ()).item()) * r
        lo = start - ctx
        chunk = audio[i, max(lo, 0):start + window].numpy()
        if amount > 0:  # the context too: the tracker hears what the encoder hears
            chunk = augment_timbre(chunk, config.sample_rate, amount, rng)
            inputs.append(chunk[-window:])
        if lo < 0:
            chunk = np.concatenate([np.zeros(-lo, dtype=chunk.dtype), chunk])
        f0, per = track_frames(chunk, config)  # frame j: window ending at lo + j*R - 1
        k = PITCH_CONTEXT_FRAMES
        if with_loudness:
            louds.append(loudness_frames(chunk, config)[k:])
        f0s.append(f0[k:]); pers.append(per[k:])
        pf.append(f0[k - 1]); pp.append(per[k - 1])
        crops.append(audio[i, start:start + window])
    phase = torch.rand(b, dtype=torch.float64) * (2 * np.pi)
    pitch = {
        "f0": torch.from_numpy(np.stack(f0s)), "periodicity": torch.from_numpy(np.stack(pers)),
        "previous": (torch.tensor(pf, dtype=torch.float64), torch.tensor(pp, dtype=torch.float64),
                     phase)}
    if inputs:
        pitch["input"] = torch.from_numpy(np.stack(inputs))[:, None]
    if louds:  # the harmonic head's loudness input, of what the tracker hears
        pitch["loudness"] = torch.from_numpy(np.stack(louds))
    return torch.stack(crops)[:, None], pitch


def harmonic_lr_factor(config: RaveConfig, step: int) -> float:
    """The harmonic head's fraction of the learning rate at a step: config.harmonic_lr_scale,
    rising linearly to 1 over the first config.harmonic_lr_warmup steps when that is > 0."""
    s, w = float(config.harmonic_lr_scale), int(config.harmonic_lr_warmup)
    if w <= 0 or step >= w:
        return s if w <= 0 else 1.0
    return s + (1.0 - s) * step / w


def phase1_lr_factor(config: RaveConfig, step: int) -> float:
    """1, falling linearly to config.phase1_lr_final over the last config.phase1_lr_decay steps
    of phase 1 (so that the head phase 2 freezes is not one noisy Adam step's), and 1 again in
    phase 2."""
    d, end = int(config.phase1_lr_decay), int(config.phase2_step)
    if d <= 0 or step >= end or step < end - d:
        return 1.0
    return 1.0 + (float(config.phase1_lr_final) - 1.0) * (step - (end - d) + 1) / d


def generator_lr(config: RaveConfig, step: int, head_group: bool) -> float:
    """The learning rate of a generator parameter group at a step."""
    f = harmonic_lr_factor(config, step) if head_group else 1.0
    return config.learning_rate * f * phase1_lr_factor(config, step)


def is_head_group(group: dict) -> bool:
    """Whether an Adam parameter group is the harmonic head's (checkpoints written before
    the "harmonic_head" mark carry "lr_scale" instead)."""
    return bool(group.get("harmonic_head", "lr_scale" in group))


def generator_groups(model, config: RaveConfig) -> list:
    """The encoder's and decoder's parameters as Adam parameter groups: one group, or with
    config.harmonic_lr_scale != 1 the harmonic head's in a second group at that fraction of
    the learning rate (marked "harmonic_head"; harmonic_lr_factor gives its rate per step)."""
    head = model.decoder.harmonic_head
    if head is None or config.harmonic_lr_scale == 1.0:
        return [{"params": list(model.encoder.parameters()) + list(model.decoder.parameters())}]
    in_head = {id(p) for p in head.parameters()}
    rest = [p for p in list(model.encoder.parameters()) + list(model.decoder.parameters())
            if id(p) not in in_head]
    return [{"params": rest},
            {"params": list(head.parameters()), "lr": config.learning_rate * config.harmonic_lr_scale,
             "harmonic_head": True}]


def harmonic_head_scale(config: RaveConfig, step: int) -> float:
    """The harmonic head's level at a training step (config.harmonic_warmup): 0 for the first
    `warmup` steps, then a line to 1 over warmup/2 steps."""
    w = int(config.harmonic_warmup)
    if w <= 0 or not config.harmonics:
        return 1.0
    return float(min(1.0, max(0.0, (step - w) / max(w // 2, 1))))


def _finite_gradients(params) -> bool:
    """False when any gradient holds a NaN or Inf: the step is skipped rather than letting
    one bad batch poison the weights (Adam's moments would carry the NaN on for ever)."""
    for p in params:
        if p.grad is not None and not bool(torch.isfinite(p.grad).all()):
            return False
    return True


def vae_step(model, losses, opt_g, audio, step, config, dist, pitch=None,
             audio_in=None) -> dict:
    """audio: the target (and the input unless audio_in is given: timbre augmentation)."""
    if audio_in is None:
        audio_in = audio
    out = model(audio_in, **(pitch or {}))
    if audio_in is not audio:  # the band target is the clean example's bands
        out["bands_in"] = model.pqmf(audio)
    full, bands = losses(out, audio)
    beta = config.kl_weight * min(1.0, step / max(config.kl_warmup, 1))
    loss = full + config.band_loss_weight * bands + beta * out["kl"]
    opt_g.zero_grad(set_to_none=True)
    loss.backward()
    average_gradients([p for g in opt_g.param_groups for p in g["params"]], dist)
    params = [p for g in opt_g.param_groups for p in g["params"]]
    torch.nn.utils.clip_grad_norm_(params, 10.0)
    skipped = not _finite_gradients(params)
    if not skipped:
        opt_g.step()
    return {"skipped": float(skipped), "loss": float(loss.detach()), "spectral_full": float(full.detach()),
            "spectral_bands": float(bands.detach()), "kl": float(out["kl"].detach()),
            "beta": beta}


def gan_step(model, disc, losses, opt_g, opt_d, audio, config, dist, pitch=None,
             audio_in=None) -> dict:
    with torch.no_grad():  # encoder frozen
        bands_in = model.pqmf(audio)  # the target's
        mean, scale = model.encoder(bands_in if audio_in is None else model.pqmf(audio_in))
        z, _ = model.sample(mean, scale)
    if config.pitch_source:
        bands = model.decode_bands(z, None, pitch["f0"], pitch["periodicity"], pitch["previous"],
                                   pitch.get("loudness"))
    else:
        bands = model.decode_bands(z, None)
    fake = model.pqmf.inverse(bands)
    out = {"bands_in": bands_in, "bands": bands, "audio": fake}
    full, band_loss = losses(out, audio)
    real = delay_frames(audio, config.latency)
    # discriminator
    d_loss = discriminator_hinge(disc(real), disc(fake.detach()))
    opt_d.zero_grad(set_to_none=True)
    d_loss.backward()
    average_gradients(list(disc.parameters()), dist)
    torch.nn.utils.clip_grad_norm_(list(disc.parameters()), 10.0)
    if _finite_gradients(list(disc.parameters())):
        opt_d.step()
    # generator (decoder only)
    feats_fake = disc(fake)
    with torch.no_grad():
        feats_real = disc(real)
    adv = generator_adversarial(feats_fake)
    fm = feature_matching(feats_real, feats_fake)
    loss = (full + config.band_loss_weight * band_loss + config.adversarial_weight * adv
            + config.feature_matching_weight * fm)
    opt_g.zero_grad(set_to_none=True)
    loss.backward()
    dec = list(model.decoder.parameters())
    if config.harmonic_freeze_phase2 and model.decoder.harmonic_head is not None:
        frozen = {id(p) for p in model.decoder.harmonic_head.parameters()}
        for p in model.decoder.harmonic_head.parameters():
            p.grad = None  # Adam skips a parameter without a gradient (no momentum step)
        dec = [p for p in dec if id(p) not in frozen]
    average_gradients(dec, dist)
    torch.nn.utils.clip_grad_norm_(dec, 10.0)
    skipped = not _finite_gradients(dec)
    if not skipped:
        opt_g.step()
    return {"skipped": float(skipped), "loss": float(loss.detach()), "spectral_full": float(full.detach()),
            "spectral_bands": float(band_loss.detach()), "adversarial": float(adv.detach()),
            "feature_matching": float(fm.detach()), "discriminator": float(d_loss.detach())}


@torch.no_grad()
def reconstruction_distance(model: RaveModel, dataset, losses: RaveLosses, device,
                            max_examples: int = 16, seed: int = 1234):
    """Held-out reconstruction distance: full-band multi-scale spectral distance between
    the model's reconstruction (posterior mean, fixed noise) and the latency-delayed input,
    both times input_gain (the level the network trains at, so it compares with the
    training loss 'spectral_full'),
    averaged over (up to max_examples of) the dataset. Returns (distance, first pair)."""
    model.eval()
    n = min(len(dataset), max_examples)
    g = torch.Generator().manual_seed(seed)
    dists, first = [], None
    for i in range(n):
        audio = dataset[i]["audio"][None, None].to(device)
        t = audio.shape[-1] // model.config.ratio * model.config.ratio
        audio = audio[..., :t]
        noise = torch.rand(1, model.config.n_bands, t // model.config.n_bands, generator=g) * 2 - 1
        recon = model.reconstruct(audio, noise.to(device))
        target = delay_frames(audio, model.config.latency)
        lv = model.input_gain  # at the network's level: comparable with the training loss
        dists.append(float(losses.full(lv * recon[:, 0], lv * target[:, 0])))
        if first is None:
            first = (target[0, 0].cpu().numpy(), recon[0, 0].cpu().numpy())
    model.train()
    return (float(np.mean(dists)) if dists else float("nan")), first


def validate(model, valid_set, losses, run: TrainingRun, device) -> float:
    if len(valid_set) == 0:
        if run.bar is not None:
            run.bar.write("no validation examples: validation skipped")
        return float("nan")
    loss, first = reconstruction_distance(model, valid_set, losses, device)
    run.log_validation(loss, *first)
    return loss
