"""Multi-process data parallel: `torchrun --nproc_per_node 2` on the tiny config (gloo, CPU)."""
import json
import os
import subprocess
import sys

import torch


def test_ddp_two_processes(tiny_dataset, tmp_path):
    run = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "rt_synth.cli.main", "train", "ddsp", "--data", str(tiny_dataset),
           "--out", str(run), "--config", "tiny", "--steps", "20"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    info = json.loads((run / "run.json").read_text())
    assert info["world_size"] == 2
    last = torch.load(run / "checkpoints" / "last.pt", weights_only=False)
    assert last["step"] == 20
    # only rank 0 writes: one set of event files, one checkpoint series
    assert len(list((run / "checkpoints").glob("step_*.pt"))) == 1
    payload = torch.load(run / "model.pt", weights_only=False)
    assert all(torch.isfinite(v).all() for v in payload["state_dict"].values())
