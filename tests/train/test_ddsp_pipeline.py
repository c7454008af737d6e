"""The tiny pipeline end to end: render → prepare → train 50 steps → resume to 60 → export."""
import json

import torch

from rt_synth.cli.main import main


def _weights(run):
    return torch.load(run / "model.pt", weights_only=False)["state_dict"]


def test_train_resume_and_export(tiny_dataset, tmp_path):
    run = tmp_path / "run"
    args = ["train", "ddsp", "--data", str(tiny_dataset), "--out", str(run), "--config", "tiny"]
    assert main(args + ["--steps", "50"]) == 0
    last = torch.load(run / "checkpoints" / "last.pt", weights_only=False)
    assert last["step"] == 50
    assert "optimizer" in last["modules"]
    history = last["history"]
    assert [s for s, _ in history["valid"]] == [20, 40, 50]
    first_loss = history["train"][0][1]
    w50 = _weights(run)
    assert (run / "plots" / "step_0000050.png").stat().st_size > 1000
    assert list((run / "tensorboard").glob("events.out.tfevents.*"))

    # resume: continues from step 50 (not from scratch) to 60
    assert main(args + ["--steps", "60"]) == 0
    last = torch.load(run / "checkpoints" / "last.pt", weights_only=False)
    assert last["step"] == 60
    assert [s for s, _ in last["history"]["valid"]] == [20, 40, 50, 60]
    w60 = _weights(run)
    assert any(not torch.equal(w50[k], w60[k]) for k in w50)  # it trained further
    assert last["history"]["train"][0][1] == first_loss  # history kept, not restarted

    # asking for fewer steps than done is a no-op, not a restart
    assert main(args + ["--steps", "55"]) == 0
    assert torch.load(run / "checkpoints" / "last.pt", weights_only=False)["step"] == 60

    # the light checkpoint exports to every format
    out = tmp_path / "exp" / "tiny"
    assert main(["export", str(run), "--out", str(out)]) == 0
    for ext in (".rtsynth", ".ts", ".onnx", ".pt"):
        assert (out.parent / f"tiny{ext}").stat().st_size > 0
    info = json.loads((run / "run.json").read_text())
    assert info["kind"] == "ddsp" and info["world_size"] == 1


def test_training_reduces_the_loss(tiny_dataset, tmp_path):
    run = tmp_path / "run"
    assert main(["train", "ddsp", "--data", str(tiny_dataset), "--out", str(run),
                 "--config", "tiny", "--steps", "60", "--lr", "3e-3"]) == 0
    hist = torch.load(run / "checkpoints" / "last.pt", weights_only=False)["history"]["valid"]
    assert hist[-1][1] < hist[0][1]


def test_interrupted_run_saves_its_step_and_resumes_there(tiny_dataset, tmp_path):
    """SIGTERM mid-run (between checkpoints) saves the step reached; the next run resumes."""
    import signal
    import subprocess
    import sys
    import time

    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "rt_synth.cli.main", "train", "ddsp", "--data",
           str(tiny_dataset), "--out", str(run), "--config", "tiny", "--steps", "100000"]
    import re
    import threading

    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err_chunks = []
    reader = threading.Thread(target=lambda: err_chunks.extend(iter(lambda: proc.stderr.read(64), "")),
                              daemon=True)
    reader.start()

    def progress() -> int:  # the progress bar's step count, "N/100000"
        counts = re.findall(r"(\d+)/100000", "".join(err_chunks))
        return int(counts[-1]) if counts else 0
    deadline = time.time() + 240
    # well under way, and past the first checkpoint (20) by a few steps, however loaded the
    # machine is: the save on SIGTERM must be a step between checkpoints
    while time.time() < deadline and not ((run / "checkpoints" / "step_0000020.pt").exists()
                                          and progress() >= 23):
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out = proc.stdout.read()
    proc.wait(timeout=120)
    reader.join(timeout=10)
    err = "".join(err_chunks)
    assert proc.returncode != 0
    assert "checkpoint saved at step" in out + err
    step = torch.load(run / "checkpoints" / "last.pt", weights_only=False)["step"]
    assert step > 20
    assert torch.load(run / "model.pt", weights_only=False)["state_dict"]
    assert main(["train", "ddsp", "--data", str(tiny_dataset), "--out", str(run),
                 "--config", "tiny", "--steps", str(step + 2)]) == 0
    assert torch.load(run / "checkpoints" / "last.pt", weights_only=False)["step"] == step + 2


def test_init_starts_a_new_run_from_shipped_weights(tiny_dataset, tmp_path):
    """--init: a new run takes the weights, config and step of a model payload (what export
    writes as NAME.pt), the learning-rate schedule continues there, and it trains on."""
    from rt_synth.kinds.ddsp.model.config import DDSPConfig
    from rt_synth.train.loop import exponential_lr

    first = tmp_path / "first"
    base = ["train", "ddsp", "--data", str(tiny_dataset), "--config", "tiny"]
    assert main(base + ["--out", str(first), "--steps", "20"]) == 0
    assert main(["export", str(first), "--out", str(tmp_path / "exp" / "first")]) == 0
    shipped = tmp_path / "exp" / "first.pt"
    w20 = torch.load(shipped, weights_only=False)["state_dict"]

    warm = tmp_path / "warm"
    # --config is ignored where --init gives one: the payload's own config wins
    assert main(["train", "ddsp", "--data", str(tiny_dataset), "--out", str(warm), "--init", str(shipped),
                 "--steps", "30"]) == 0
    last = torch.load(warm / "checkpoints" / "last.pt", weights_only=False)
    assert last["step"] == 30
    cfg = DDSPConfig.from_dict(json.loads((warm / "run.json").read_text())["config"])
    assert cfg.hidden_size == DDSPConfig.from_dict(torch.load(shipped, weights_only=False)["config"]).hidden_size
    assert json.loads((warm / "run.json").read_text())["init"] == str(shipped.resolve())
    assert min(s for s, _ in last["history"]["train"]) > 20  # its history starts after the payload's step
    w30 = _weights(warm)
    assert any(not torch.equal(w20[k], w30[k]) for k in w20)  # it trained on
    # the schedule continued from step 20: at 30 its rate is the decayed one, not the initial one
    sched = last["modules"]["scheduler"]
    assert sched["last_epoch"] == 30
    assert abs(sched["_last_lr"][0] - cfg.learning_rate * exponential_lr(30, cfg.lr_decay_steps)) < 1e-12


def test_init_with_a_model_of_another_kind_is_a_clear_error(tiny_dataset, tmp_path):
    bad = tmp_path / "rave.pt"
    torch.save({"kind": "rave", "config": {}, "state_dict": {}}, bad)
    import pytest

    from rt_synth.errors import UserError
    from rt_synth.kinds.ddsp.trainer import train_ddsp

    with pytest.raises(UserError, match="rave.pt holds a rave model, not ddsp"):
        train_ddsp(str(tiny_dataset), str(tmp_path / "run"), "tiny", 10, init=str(bad))
