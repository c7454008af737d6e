"""Training of the DDSP model: multi-scale spectral loss between the dataset's audio and the
resynthesis from its own f0 and loudness.

Alignment: features of frame i are measured on causal windows ending at the end of frame i,
so they describe the sound about ``feature_delay`` samples earlier (the centre of the
loudness window). The target is the audio delayed by that much, so the network learns
features(t) → sound(t) with no look-ahead: from MIDI (no analysis delay) it plays on time,
and on a live mic its output lags by exactly the analysis latency.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, RandomSampler

from rt_synth.errors import UserError
from rt_synth.dsp.spectral_loss import MultiScaleSpectralLoss
from rt_synth.kinds.ddsp.model.config import DDSPConfig, get_config
from rt_synth.kinds.ddsp.model.model import DDSPModel
from rt_synth.train.checkpoint import load_model_payload, read_run_info, write_run_info
from rt_synth.train.distributed import init_distributed, shutdown
from rt_synth.train.loop import TrainingRun, exponential_lr

FEATURE_DELAY = 512  # samples: centre of the 1024-sample causal loudness window


def dataset_normalisation(info: dict) -> dict:
    stats = info.get("stats", info)
    try:
        return {k: float(stats[k]) for k in
                ("f0_midi_mean", "f0_midi_std", "loudness_mean", "loudness_std")}
    except KeyError as exc:
        raise UserError(f"dataset.json has no statistic {exc}: prepare the dataset again "
                        f"with `rt-synth data prepare`") from exc


def delayed(audio: torch.Tensor, delay: int) -> torch.Tensor:
    return torch.nn.functional.pad(audio, (delay, 0))[..., : audio.shape[-1]]


def random_crop(batch: dict, frames: int, hop: int, delay: int) -> tuple:
    """Hop-aligned random crop of `frames` frames per example, target audio delayed."""
    audio, f0, ld = batch["audio"], batch["f0"], batch["loudness"]
    n_frames = f0.shape[-1]
    frames = min(frames, n_frames)
    starts = torch.randint(0, n_frames - frames + 1, (f0.shape[0],))
    target = delayed(audio, delay)
    sl = lambda x, s, n, m: x[s * m:(s + n) * m]  # noqa: E731
    f0c = torch.stack([sl(f0[i], s, frames, 1) for i, s in enumerate(starts.tolist())])
    ldc = torch.stack([sl(ld[i], s, frames, 1) for i, s in enumerate(starts.tolist())])
    tc = torch.stack([sl(target[i], s, frames, hop) for i, s in enumerate(starts.tolist())])
    return f0c, ldc, tc


def train_ddsp(data: str, out: str, config_name: str = "base", steps: int = 10_000,
               batch_size: int | None = None, learning_rate: float | None = None,
               workers: int = 0, seed: int = 0, init: str | None = None) -> Path:
    """Trains (or resumes) the run in `out`. init: a model payload (a shipped exports/NAME.pt,
    a run folder, a checkpoint) whose weights, config and step a *new* run starts from: the
    learning-rate schedule continues at that step, the optimiser starts fresh. A run that
    already exists resumes and ignores init."""
    from rt_synth.data.dataset import AudioFeatureDataset, load_dataset_info

    dist = init_distributed()
    run_dir = Path(out)
    info = load_dataset_info(data)
    norm = dataset_normalisation(info)

    config = get_config(config_name).with_overrides(batch_size=batch_size,
                                                    learning_rate=learning_rate)
    saved = read_run_info(run_dir, "ddsp")
    if saved is not None:  # resuming: the run's own config wins
        config = DDSPConfig.from_dict(saved["config"])
        init = None
    init_payload = None
    if init:
        init_payload = load_model_payload(init)
        if init_payload.get("kind") != "ddsp":
            raise UserError(f"--init {init} holds a {init_payload.get('kind')} model, not ddsp")
        config = DDSPConfig.from_dict(init_payload["config"]).with_overrides(
            batch_size=batch_size, learning_rate=learning_rate)
    if int(info["sample_rate"]) != config.sample_rate or int(info["hop"]) != config.hop:
        raise UserError(f"dataset {data} is at {info['sample_rate']} Hz / hop {info['hop']}, "
                        f"the model needs {config.sample_rate} Hz / hop {config.hop}: "
                        f"prepare it with --sample-rate {config.sample_rate} --hop {config.hop}")

    torch.manual_seed(seed + dist.rank)
    np.random.seed(seed + dist.rank)
    model = DDSPModel(config).to(dist.device)
    model.decoder.set_normalisation(**norm)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: exponential_lr(s, config.lr_decay_steps))
    loss_fn = MultiScaleSpectralLoss().to(dist.device)

    run = TrainingRun(run_dir, dist, steps, config.sample_rate)
    modules = {"decoder": model.decoder, "optimizer": optimizer, "scheduler": scheduler}
    resumed = run.resume(modules)
    if init_payload is not None and not resumed:
        warm_start(model, optimizer, scheduler, run, init_payload, init)
    if dist.is_main:
        if resumed:
            print(f"resuming {run_dir} at step {run.state.step}")
        elif init_payload is not None:
            print(f"starting {run_dir} from {init} at step {run.state.step}")
        write_run_info(run_dir, {"kind": "ddsp", "config": config.to_dict(),
                                 "config_name": config_name, "dataset": str(Path(data).resolve()),
                                 "normalisation": norm, "world_size": dist.world_size,
                                 "feature_delay": FEATURE_DELAY,
                                 **({"init": str(Path(init).resolve())} if init_payload is not None else {})})
    if run.state.step >= steps:
        if dist.is_main:
            print(f"{run_dir} is already at step {run.state.step} ≥ {steps}: nothing to do")
        run.close()
        shutdown(dist)
        return run_dir

    train_set = AudioFeatureDataset(data, "train")
    valid_set = AudioFeatureDataset(data, "valid")
    if len(train_set) == 0:
        raise UserError(f"dataset {data} has no training examples")
    if dist.enabled:
        sampler = DistributedSampler(train_set, shuffle=True, seed=seed, drop_last=False)
    else:
        sampler = RandomSampler(train_set, replacement=True, num_samples=10**9)
    loader = DataLoader(train_set, batch_size=config.batch_size, sampler=sampler,
                        num_workers=workers, drop_last=False, persistent_workers=workers > 0)
    net = DDP(model) if dist.enabled else model
    frames = max(1, int(round(config.train_seconds * config.sample_rate / config.hop)))

    run.start_bar("train ddsp")
    def payload():
        return {**model.payload(), "feature_delay": FEATURE_DELAY}

    with run.interruptible(modules, payload):
        epoch = 0
        done = False
        while not done:
            if dist.enabled:
                sampler.set_epoch(epoch)
            for batch in loader:
                f0, ld, target = random_crop(batch, frames, config.hop, FEATURE_DELAY)
                f0, ld, target = f0.to(dist.device), ld.to(dist.device), target.to(dist.device)
                pred = net(f0, ld)
                loss = loss_fn(pred, target)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 2.0)
                optimizer.step()
                scheduler.step()
                run.state.step += 1
                run.log_train({"loss": float(loss.detach())}, scheduler.get_last_lr()[0])
                step = run.state.step
                if step % config.validate_every == 0 or step == steps:
                    validate(model, valid_set, loss_fn, run, dist.device)
                if step % config.checkpoint_every == 0 or step == steps:
                    run.save(modules, payload())
                if step >= steps:
                    done = True
                    break
            epoch += 1
    run.close()
    shutdown(dist)
    return run_dir


def warm_start(model: DDSPModel, optimizer, scheduler, run: TrainingRun, payload: dict, source: str) -> None:
    """Load `payload`'s decoder weights and continue the learning-rate schedule at its step."""
    try:
        model.decoder.load_state_dict(payload["state_dict"])
    except RuntimeError as exc:
        raise UserError(f"--init {source}: its weights do not fit the model ({exc})") from exc
    step = int(payload.get("step", 0))
    run.state.step = step
    scheduler.last_epoch = step
    for group, base, fn in zip(optimizer.param_groups, scheduler.base_lrs, scheduler.lr_lambdas):
        group["lr"] = base * fn(step)


@torch.no_grad()
def validate(model: DDSPModel, valid_set, loss_fn, run: TrainingRun, device,
             max_examples: int = 16) -> float:
    model.eval()
    n = min(len(valid_set), max_examples)
    if n == 0:
        model.train()
        return float("nan")
    gen_state = torch.get_rng_state()
    torch.manual_seed(1234)  # same noise every validation: losses comparable across steps
    losses, first = [], None
    for i in range(n):
        ex = valid_set[i]
        f0 = ex["f0"][None].to(device)
        ld = ex["loudness"][None].to(device)
        target = delayed(ex["audio"][None], FEATURE_DELAY).to(device)
        pred = model(f0, ld)
        losses.append(float(loss_fn(pred, target)))
        if first is None:
            first = (target[0].cpu().numpy(), pred[0].cpu().numpy())
    torch.set_rng_state(gen_state)
    model.train()
    loss = float(np.mean(losses))
    run.log_validation(loss, *first)
    return loss
