"""`torchrun --nproc_per_node 2 ... train rave` on the tiny config (gloo, CPU), through the
phase switch: gradients all-reduced by hand, rank 0 writes."""
import json
import os
import subprocess
import sys

import torch


def test_rave_ddp_two_processes(tiny_dataset, tmp_path):
    run = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "rt_synth.cli.main", "train", "rave", "--data", str(tiny_dataset),
           "--out", str(run), "--config", "tiny", "--steps", "6", "--phase2-step", "4"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert json.loads((run / "run.json").read_text())["world_size"] == 2
    last = torch.load(run / "checkpoints" / "last.pt", weights_only=False)
    assert last["step"] == 6
    payload = torch.load(run / "model.pt", weights_only=False)
    assert payload["kind"] == "rave"
    assert all(torch.isfinite(v).all() for v in payload["state_dict"].values())
    assert float(payload["state_dict"]["latent_stats_ready"]) == 1.0
