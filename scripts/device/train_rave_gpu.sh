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
# passed and is stopped with SIGTERM (the trainer saves last.pt at the step reached). What
# comes back fits the device tool's limits (8 files, 16 MiB each, 64 MiB in all; a RAVE
# resume checkpoint is 17.7 MB): OUT/NAME.pt, the light checkpoint (3.5 MB, what
# `rt-synth export` takes), for every variant; the full resume checkpoint of the variant
# named by RESUME_BACK (default: the first) in two parts, OUT/NAME.resume.part00/01
# (`cat NAME.resume.part0* > last.pt`); OUT/logs.tar.gz, the training logs.
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
import sys, torch
from pathlib import Path
work, out = Path(sys.argv[1]), Path(sys.argv[2])
for spec in sys.argv[3:]:
    name = spec.split(":")[0]
    last = work / name / "checkpoints" / "last.pt"
    if not last.exists():
        print(f"{name}: no checkpoint"); continue
    ck = torch.load(last, map_location="cpu", weights_only=False)
    h = ck.get("history", {})
    print(f"{name}: step {ck['step']}  last train {h.get('train', [])[-1:]}  "
          f"last valid {h.get('valid', [])[-3:]}")
    torch.save({**ck["model"], "step": ck["step"]}, out / f"{name}.pt")
EOF
back="${RESUME_BACK:-${1%%:*}}"
if [ -f "$WORK/$back/checkpoints/last.pt" ]; then
  split -n 2 -d "$WORK/$back/checkpoints/last.pt" "$OUT/$back.resume.part"
  md5sum "$WORK/$back/checkpoints/last.pt"
fi
for spec in "$@"; do
  name="${spec%%:*}"; tail -c 1500 "$WORK/$name/train.log" | tr '\r' '\n' | tail -4
done
tar -czf "$OUT/logs.tar.gz" -C "$WORK" --exclude='*.pt' --exclude=tensorboard --exclude=plots . 2>/dev/null
ls -la "$OUT"
exit 0
