"""Training of an effect model on a pairs folder (rt_synth.data.pairs): random segments of
the aligned input and target, each run after `history` samples that settle the recurrent
state (LSTM: config.warmup_samples) or fill the convolutions' receptive field (WaveNet) and
are not in the loss. Loss: rt_synth.kinds.effect.loss. Validation: the plain ESR of the
whole validation split, the model run from silence as the core runs it.

A model with knobs trains on pairs with knobs (rt_synth.data.pairs.load_pair_knobs): each
segment lies within one knob setting, whose normalised values the network reads as constant
channels beside the audio (docs/effect-models.md, "Knobs")."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel as DDP

from rt_synth.errors import UserError
from rt_synth.kinds.effect.loss import effect_loss, esr
from rt_synth.kinds.effect.model.config import EffectConfig, get_config
from rt_synth.kinds.effect.model.model import EffectModel
from rt_synth.train.checkpoint import read_run_info, write_run_info
from rt_synth.train.distributed import init_distributed, shutdown
from rt_synth.train.loop import TrainingRun, exponential_lr


def history_samples(config: EffectConfig) -> int:
    return config.receptive_field - 1 if config.arch == "wavenet" else config.warmup_samples


def random_segments(x: np.ndarray, y: np.ndarray, batch: int, history: int, length: int,
                    rng: np.random.Generator, runs: list | None = None) -> tuple:
    """(inputs [B, history + length], targets [B, length]) at random places; with `runs`
    (knob runs: start, length, normalised values) each segment lies within one run and a
    third tensor, its knobs [B, K], is returned too."""
    span = history + length
    if runs is None:
        if len(x) < span:
            raise UserError(f"the training audio has {len(x)} samples, fewer than one segment "
                            f"({span}): give more audio")
        starts = rng.integers(0, len(x) - span + 1, batch)
    else:
        room = np.array([max(0, r["length"] - span + 1) for r in runs], np.float64)
        if room.sum() == 0:
            raise UserError(f"every knob setting of the training pairs is shorter than one "
                            f"segment ({span} samples): render more audio")
        which = rng.choice(len(runs), batch, p=room / room.sum())
        starts = np.array([runs[w]["start"] + rng.integers(0, room[w]) for w in which])
    xi = np.stack([x[s: s + span] for s in starts])
    yi = np.stack([y[s + history: s + span] for s in starts])
    if runs is None:
        return torch.from_numpy(xi), torch.from_numpy(yi)
    ki = np.array([runs[w]["norm"] for w in which], np.float32)
    return torch.from_numpy(xi), torch.from_numpy(yi), torch.from_numpy(ki)


def predict(net, x: torch.Tensor, history: int, knobs: torch.Tensor | None = None) -> torch.Tensor:
    """The outputs for x's last len − history samples. Through a DDP wrapper the model's
    forward runs (so that gradients are all-reduced); alone, a WaveNet computes only the
    outputs with full history."""
    if not isinstance(net, DDP) and net.config.arch == "wavenet":
        return net.net.valid(x, knobs)
    return net(x, knobs)[:, history:]


def knob_runs(config: EffectConfig, pairs: str, split: str, n: int) -> list | None:
    """The split's knob runs with their values normalised for `config`; None for a model
    without knobs. Refuses pairs whose knobs are not the model's, naming both."""
    from rt_synth.data.pairs import load_pair_knobs

    got = load_pair_knobs(pairs, split)
    if not config.knobs:
        return None
    if got is None:
        raise UserError(f"the model has knobs ({', '.join(config.knob_names)}) but the pairs "
                        f"{pairs} have none: render pairs with knobs (rt-synth data pairs "
                        f"render --knobs N) or train a config without knobs")
    table, runs = got
    names = tuple(k["name"] for k in table)
    if names != config.knob_names:
        raise UserError(f"the pairs {pairs} have knobs {list(names)}, the model "
                        f"{list(config.knob_names)}")
    if runs[-1]["start"] + runs[-1]["length"] != n:
        raise UserError(f"{pairs}/{split}/knobs.json covers {runs[-1]['start'] + runs[-1]['length']}"
                        f" samples, the audio has {n}")
    return [{**r, "norm": config.normalise_knobs(r["values"])} for r in runs]


def knob_track(runs: list | None, n: int) -> np.ndarray | None:
    """Normalised knob values per sample [K, n] from knob runs (None stays None)."""
    if runs is None:
        return None
    out = np.empty((len(runs[0]["norm"]), n), np.float32)
    for r in runs:
        out[:, r["start"]: r["start"] + r["length"]] = np.asarray(r["norm"], np.float32)[:, None]
    return out


@torch.no_grad()
def run_whole(model: EffectModel, x: np.ndarray, block: int = 1 << 16,
              knobs: np.ndarray | None = None) -> np.ndarray:
    """The model over a whole signal from silence, in blocks (the recurrent state and the
    convolutions' history carried across), as a stream would run it. knobs: normalised, [K]
    (constant) or [K, n] (per sample); None = the model's defaults."""
    xs = torch.from_numpy(np.ascontiguousarray(x, np.float32))[None]
    ks = None
    if model.config.knobs:
        if knobs is None:
            knobs = np.asarray(model.config.normalise_knobs(model.config.knob_defaults()))
        knobs = np.asarray(knobs, np.float32)
        if knobs.ndim == 1:
            knobs = np.repeat(knobs[:, None], xs.shape[1], axis=1)
        ks = torch.from_numpy(np.ascontiguousarray(knobs))[None]  # [1, K, n]
    out = []
    if model.config.arch == "lstm":
        state = model.net.initial_state(1)
        for i in range(0, xs.shape[1], block):
            y, state = model.net.step(xs[:, i:i + block], state,
                                      None if ks is None else ks[..., i:i + block])
            out.append(y)
    else:
        rf = model.net.receptive_field
        padded = torch.nn.functional.pad(xs, (rf - 1, 0))
        if ks is not None:
            ks = torch.nn.functional.pad(ks, (rf - 1, 0), mode="replicate")
        for i in range(0, xs.shape[1], block):
            out.append(model.net.valid(padded[:, i: i + block + rf - 1],
                                       None if ks is None else ks[..., i: i + block + rf - 1]))
    return torch.cat(out, dim=1)[0].numpy()


def train_effect(data: str, out: str, config_name: str = "lstm", steps: int = 3000,
                 batch_size: int | None = None, learning_rate: float | None = None,
                 workers: int = 0, seed: int = 0) -> Path:
    from rt_synth.data.pairs import load_pairs

    dist = init_distributed()
    run_dir = Path(out)
    config = get_config(config_name).with_overrides(batch_size=batch_size,
                                                    learning_rate=learning_rate)
    saved = read_run_info(run_dir, "effect")
    if saved is not None:  # resuming: the run's own config wins
        config = EffectConfig.from_dict(saved["config"])
    x_train, y_train, sr = load_pairs(data, "train")
    x_valid, y_valid, _ = load_pairs(data, "valid")
    runs_train = knob_runs(config, data, "train", len(x_train))
    k_valid = knob_track(knob_runs(config, data, "valid", len(x_valid)), len(x_valid))
    if sr != config.sample_rate:
        raise UserError(f"pairs {data} are at {sr} Hz, the model at {config.sample_rate} Hz: "
                        f"make the pairs at {config.sample_rate} Hz")

    torch.manual_seed(seed + dist.rank)
    rng = np.random.default_rng([seed, dist.rank])
    model = EffectModel(config).to(dist.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: exponential_lr(s, config.lr_decay_steps))
    run = TrainingRun(run_dir, dist, steps, config.sample_rate)
    modules = {"model": model.net, "optimizer": optimizer, "scheduler": scheduler}
    resumed = run.resume(modules)
    if resumed is not None and "data_rng" in resumed:
        rng.bit_generator.state = resumed["data_rng"]
    if dist.is_main:
        if resumed:
            print(f"resuming {run_dir} at step {run.state.step}")
        write_run_info(run_dir, {"kind": "effect", "config": config.to_dict(),
                                 "config_name": config_name, "pairs": str(Path(data).resolve()),
                                 "world_size": dist.world_size, "parameters": model.n_parameters})
    if run.state.step >= steps:
        if dist.is_main:
            print(f"{run_dir} is already at step {run.state.step} ≥ {steps}: nothing to do")
        run.close()
        shutdown(dist)
        return run_dir

    net = DDP(model) if dist.enabled else model
    history = history_samples(config)

    def payload():
        return model.payload()

    def save():
        run.save(modules, payload(), {"data_rng": rng.bit_generator.state})

    run.start_bar(f"train effect ({config.arch})")
    with run.interruptible(modules, payload):
        while run.state.step < steps:
            seg = random_segments(x_train, y_train, config.batch_size, history,
                                  config.segment_samples, rng, runs_train)
            xb, yb = seg[0].to(dist.device), seg[1].to(dist.device)
            kb = seg[2].to(dist.device) if len(seg) > 2 else None
            pred = predict(net, xb, history, kb)
            losses = effect_loss(yb, pred, config.pre_emphasis, config.dc_weight)
            optimizer.zero_grad(set_to_none=True)
            losses["loss"].backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            run.state.step += 1
            run.log_train({k: float(v.detach()) for k, v in losses.items()},
                          scheduler.get_last_lr()[0])
            step = run.state.step
            if step % config.validate_every == 0 or step == steps:
                validate(model, x_valid, y_valid, run, k_valid)
            if step % config.checkpoint_every == 0 or step == steps:
                save()
    run.close()
    shutdown(dist)
    return run_dir


@torch.no_grad()
def validate(model: EffectModel, x: np.ndarray, y: np.ndarray, run: TrainingRun,
             knobs: np.ndarray | None = None) -> float:
    model.eval()
    pred = run_whole(model, x, knobs=knobs)
    model.train()
    loss = float(esr(torch.from_numpy(y), torch.from_numpy(pred)))
    n = min(len(y), 5 * model.config.sample_rate)
    run.log_validation(loss, y[:n], pred[:n])
    return loss
