"""Per-phrase scores → one figure per set, the same rule in every rt_synth.eval table:

    mcd_db            frame-weighted mean over phrases (each phrase's MCD weighted by its
                      counted frames, `mcd_frames`; their sum is the pooled frame count)
    *_median_cents    median over phrases (of each phrase's median |cents|)
    *_mean_abs_db     mean over phrases
    *_share           mean over phrases

NaN entries (no voiced or no loud frame in a phrase) are left out; a key with no finite
entry pools to NaN. Keys not named above are not pooled.
"""
from __future__ import annotations

import numpy as np


def pool_rows(rows: list[dict]) -> dict:
    frames = sum(int(r.get("mcd_frames", 0)) for r in rows)
    out = {}
    if rows and "mcd_db" in rows[0]:
        mcd = (sum(r["mcd_db"] * r["mcd_frames"] for r in rows if r["mcd_frames"]) / frames
               if frames else float("nan"))
        out = {"mcd_db": float(mcd), "mcd_frames": int(frames)}
    keys = [k for k in (rows[0] if rows else {}) if k.endswith(("_median_cents", "_mean_abs_db", "_share"))]
    for k in keys:
        v = [r[k] for r in rows if r.get(k) is not None and np.isfinite(r[k])]
        rule = np.median if k.endswith("_median_cents") else np.mean
        out[k] = float(rule(v)) if v else float("nan")
    return out
