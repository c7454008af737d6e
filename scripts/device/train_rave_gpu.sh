#!/usr/bin/env bash
# Train RAVE-style violin variants side by side on one GPU for a fixed wall time, and bring
# each run's checkpoint back (docs/training-gpu.md). Runs on the device machine, from the
# repository root, with the packed dataset and (optionally) a resume checkpoint in .gpu/:
#
#   .gpu/violin/            scripts/device/dataset_pack.py pack datasets/violin .gpu/violin
#   .gpu/resume/last.pt     a run's checkpoints/last.pt to continue (variants "resume-*")
#   .gpu/resume/run.json    that run's run.json
#
# Each variant is "NAME:resume|fresh:EXTRA ARGS"; every variant trains until SECONDS have
# passed, is stopped with SIGTERM (the trainer saves last.pt at the step reached), and
# OUT/NAME.pt (the checkpoint) and OUT/logs.tar.gz come back.
#
#   SECONDS_PER_RUN=470 OUT=/tmp/out bash scripts/device/train_rave_gpu.sh \
#       "a:resume:--batch-size 6" "d:fresh:--config pitched --phase2-step 7000"
set -uo pipefail
: "${OUT:?set OUT to the folder that comes back}"
SECS="${SECONDS_PER_RUN:-470}"
DATA=/tmp/datasets/violin
WORK=/tmp/gpu-runs
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-3}"

python3 - <<'EOF'
import torch
print("torch", torch.__version__, "cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "-")
EOF
python3 scripts/device/dataset_pack.py unpack .gpu/violin "$DATA" || exit 1
mkdir -p "$WORK"
pids=()
for spec in "$@"; do
  name="${spec%%:*}"; rest="${spec#*:}"; mode="${rest%%:*}"; extra="${rest#*:}"
  run="$WORK/$name"; mkdir -p "$run/checkpoints"
  if [ "$mode" = resume ]; then
    cp .gpu/resume/last.pt "$run/checkpoints/last.pt"
    cp .gpu/resume/run.json "$run/run.json"
  fi
  # shellcheck disable=SC2086
  timeout -s TERM "$SECS" python3 -m rt_synth.cli.main train rave --data "$DATA" --out "$run" \
      --steps 1000000 $extra > "$run/train.log" 2>&1 &
  pids+=($!)
  echo "started $name ($mode: $extra) pid $!"
done
for p in "${pids[@]}"; do wait "$p"; done

python3 - "$WORK" "$OUT" "$@" <<'EOF'
import shutil, sys, torch
from pathlib import Path
work, out = Path(sys.argv[1]), Path(sys.argv[2])
for spec in sys.argv[3:]:
    name = spec.split(":")[0]
    last = work / name / "checkpoints" / "last.pt"
    if not last.exists():
        print(f"{name}: no checkpoint"); continue
    ck = torch.load(last, map_location="cpu", weights_only=False)
    h = ck.get("history", {})
    tr = h.get("train", [])[-1:] or [{}]
    va = h.get("valid", [])[-3:]
    print(f"{name}: step {ck['step']}  last train {tr[0]}  last valid {va}")
    shutil.copy(last, out / f"{name}.pt")
EOF
for spec in "$@"; do
  name="${spec%%:*}"; tail -c 1500 "$WORK/$name/train.log" | tr '\r' '\n' | tail -4
done
tar -czf "$OUT/logs.tar.gz" -C "$WORK" --exclude='*.pt' . 2>/dev/null
nvidia-smi --query-gpu=name,utilization.gpu,memory.used --format=csv 2>/dev/null
exit 0
