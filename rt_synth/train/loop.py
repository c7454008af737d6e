"""What every training run shares: run folder, resume, progress bar, checkpoints,
TensorBoard, validation spectrograms, DDP. A model's trainer supplies only its step and its
validation (see ddsp_trainer.py)."""
from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from rt_synth.train import checkpoint as ckpt_io
from rt_synth.train.distributed import DistInfo, all_reduce_mean, barrier
from rt_synth.train.plots import save_loss_curve, save_spectrograms


@dataclass
class RunState:
    step: int = 0
    history: dict = field(default_factory=lambda: {"train": [], "valid": []})


class TrainingRun:
    def __init__(self, run_dir: Path, dist: DistInfo, total_steps: int, sample_rate: int):
        self.run_dir = Path(run_dir)
        self.dist = dist
        self.total_steps = total_steps
        self.sample_rate = sample_rate
        self.state = RunState()
        # denormal floats (weights and activations that decay towards 0 late in a run) make
        # the CPU's convolutions several times slower: the violin-rave checkpoint at step
        # 13 603 took 14.3 s per forward+backward with them, 2.8 s flushed to zero. Audio never
        # needs them; the GPU flushes them anyway.
        torch.set_flush_denormal(True)
        self.writer = None
        self.bar = None
        if dist.is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            try:
                from torch.utils.tensorboard import SummaryWriter

                self.writer = SummaryWriter(str(self.run_dir / "tensorboard"))
            except Exception as exc:  # tensorboard missing: say so once, keep training
                print(f"note: TensorBoard logging off ({exc})")

    # ---- resume ----
    def resume(self, modules: dict) -> dict | None:
        """Load RUN/checkpoints/last.pt into the given objects (anything with load_state_dict).
        Returns the checkpoint (or None when starting fresh)."""
        ckpt = ckpt_io.load_last_checkpoint(self.run_dir)
        if ckpt is None:
            return None
        for name, obj in modules.items():
            if name in ckpt["modules"]:
                obj.load_state_dict(ckpt["modules"][name])
        self.state.step = int(ckpt["step"])
        self.state.history = ckpt.get("history", self.state.history)
        rng = ckpt.get("rng")
        if rng is not None:
            torch.set_rng_state(rng["torch"])
            np.random.set_state(rng["numpy"])
        return ckpt

    def save(self, modules: dict, light_payload: dict, extra: dict | None = None) -> None:
        if not self.dist.is_main:
            return
        state = {
            "step": self.state.step,
            "modules": {k: v.state_dict() for k, v in modules.items()},
            "model": light_payload,
            "history": self.state.history,
            "rng": {"torch": torch.get_rng_state(), "numpy": np.random.get_state()},
            **(extra or {}),
        }
        ckpt_io.save_checkpoint(self.run_dir, self.state.step, state, light_payload)
        save_loss_curve(self.run_dir / "plots" / "loss.png", self.state.history)

    @contextlib.contextmanager
    def interruptible(self, modules: dict, light_payload):
        """Ctrl-C or SIGTERM (a scheduler stopping the job) saves a checkpoint at the step
        reached, so that running the same command again resumes exactly there."""
        previous = None
        if threading.current_thread() is threading.main_thread():
            def _term(signum, frame):
                raise KeyboardInterrupt
            previous = signal.signal(signal.SIGTERM, _term)
        try:
            yield
        except KeyboardInterrupt:
            if self.dist.is_main and self.state.step > 0:
                self.save(modules, light_payload())
                msg = (f"interrupted: checkpoint saved at step {self.state.step} in "
                       f"{self.run_dir}; run the same command again to resume")
                (self.bar.write if self.bar is not None else print)(msg)
            raise
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    # ---- progress and logs ----
    def start_bar(self, desc: str) -> None:
        if self.dist.is_main:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total_steps, initial=self.state.step, desc=desc,
                            unit="step", dynamic_ncols=True)
        self._t0 = time.perf_counter()
        self._s0 = self.state.step

    def log_train(self, losses: dict[str, float], lr: float) -> None:
        step = self.state.step
        if not self.dist.is_main:
            return
        rate = (step - self._s0) / max(time.perf_counter() - self._t0, 1e-9)
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{losses['loss']:.4f}", steps_s=f"{rate:.2f}")
        if step % 10 == 0 or step == self.total_steps:
            self.state.history["train"].append((step, float(losses["loss"])))
        if self.writer is not None and (step % 10 == 0 or step == self.total_steps):
            for k, v in losses.items():
                self.writer.add_scalar(f"train/{k}", v, step)
            self.writer.add_scalar("train/lr", lr, step)
            self.writer.add_scalar("train/steps_per_s", rate, step)

    def log_validation(self, loss: float, target: np.ndarray, recon: np.ndarray) -> None:
        loss = all_reduce_mean(loss, self.dist)
        if not self.dist.is_main:
            return
        step = self.state.step
        self.state.history["valid"].append((step, float(loss)))
        if self.writer is not None:
            self.writer.add_scalar("valid/loss", loss, step)
            self.writer.add_audio("valid/target", torch.from_numpy(target)[None], step,
                                  self.sample_rate)
            self.writer.add_audio("valid/reconstruction",
                                  torch.from_numpy(np.clip(recon, -1, 1))[None], step,
                                  self.sample_rate)
        save_spectrograms(self.run_dir / "plots" / f"step_{step:07d}.png",
                          {"validation target": target, "reconstruction": recon},
                          self.sample_rate, title=f"step {step}, valid loss {loss:.4f}")
        if self.bar is not None:
            self.bar.write(f"step {step}: valid loss {loss:.4f}")

    def close(self) -> None:
        barrier(self.dist)
        if self.bar is not None:
            self.bar.close()
        if self.writer is not None:
            self.writer.close()


def exponential_lr(step: int, decay_steps: int) -> float:
    return math.pow(0.5, step / max(decay_steps, 1))
