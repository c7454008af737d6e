"""Measurements of a trained RAVE model for its exports (``rt-synth export --measure DATASET``):
held-out reconstruction distance on the dataset's validation split (the trainer's
definition) and the latency found by the onset test of rt_synth.kinds.rave.model.measure on up
to 12 validation clips. They go into the light checkpoint (payload["measurements"]), the
native file (rt_synth.rave.heldout_distance / measured_latency_samples) and NAME.metrics.json."""
from __future__ import annotations

import torch

LATENCY_METHOD = ("onset test: 0.5 s silence then a held-out clip; first 16-sample frame of the "
                  "output over -20 dB of its peak minus the same for the input; median over "
                  "the validation clips")


def measure_rave(model, dataset_dir: str, max_distance_examples: int = 64,
                 max_latency_clips: int = 12) -> dict:
    from rt_synth.errors import UserError
    from rt_synth.data.dataset import AudioFeatureDataset
    from rt_synth.kinds.rave.model.measure import measure_latency
    from rt_synth.kinds.rave.trainer import RaveLosses, reconstruction_distance

    try:
        valid = AudioFeatureDataset(dataset_dir, "valid")
    except Exception as exc:  # a missing or foreign folder: say which and what is needed
        raise UserError(f"--measure {dataset_dir}: not a dataset written by `rt-synth data "
                        f"prepare` ({exc})") from exc
    if len(valid) == 0:
        raise UserError(f"--measure {dataset_dir}: the validation split is empty; prepare the "
                        f"dataset with more audio so that some examples are held out")
    c = model.config
    with torch.no_grad():
        distance, _ = reconstruction_distance(model, valid, RaveLosses(c), "cpu",
                                              max_examples=max_distance_examples)
        clips = [valid[i]["audio"].numpy() for i in range(min(len(valid), max_latency_clips))]
        lat = measure_latency(model, clips)
    return {"heldout_distance": distance, "valid_examples": min(len(valid), max_distance_examples),
            "latency_samples": lat["onset_delay_median"], "latency_design_samples": c.latency,
            "onset_delay_median": lat["onset_delay_median"], "onset_delays": lat["onset_delays"],
            "envelope_lag_median": lat["envelope_lag_median"], "envelope_lags": lat["envelope_lags"],
            "latency_resolution": lat["resolution"], "latency_method": LATENCY_METHOD,
            "parameters": model.n_parameters, "ratio": c.ratio}

