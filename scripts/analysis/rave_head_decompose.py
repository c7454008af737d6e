"""Where a harmonic-head RAVE checkpoint's sound comes from (docs/rave.md section 13).

    python3 scripts/analysis/rave_head_decompose.py CHECKPOINT.pt [--seconds 10]

Offline (PyTorch) on the held-out violin and flute sets of rt_synth.eval.heldout_sets (unseen
phrases from MuseScore General, references the same MIDI on FluidR3's violin): the model's
output is split into the harmonic head's part (harmonics and, with harmonic_noise, its
per-band noise), its harmonics alone, and the waveform decoder's part, each through the PQMF
synthesis. Prints, per set, the mel-cepstral distance of each part to the reference (and of
the input itself) and each part's RMS in dB. A decoder part at -180 dB is a dead waveform path.
"""
import argparse
from pathlib import Path

import numpy as np
import torch

from rt_synth.eval.heldout_sets import DEFAULT_SEED, render_sets
from rt_synth.eval.mel_cepstrum import mel_cepstral_distance
from rt_synth.kinds.rave.curve import load_rave


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    model = load_rave(Path(args.checkpoint))
    if model.decoder.harmonic_head is None:
        raise SystemExit(f"{args.checkpoint}: this model has no harmonic head")
    sets = render_sets(("violin", "flute"), args.seconds, probes=(), seed=DEFAULT_SEED,
                       sample_rate=48000)
    c = model.config
    lat, r = c.latency, c.ratio
    for s in sets:
        mcd = {k: [] for k in ("total", "head", "harmonics", "decoder", "input")}
        level = {k: [] for k in ("total", "head", "harmonics", "decoder", "reference")}
        for x, ref in zip(s.inputs, s.references):
            n = -(-(len(x) + lat) // r) * r
            xp = np.zeros(n, np.float32)
            xp[:len(x)] = x
            a = torch.from_numpy(xp)[None, None]
            with torch.no_grad():
                torch.manual_seed(0)
                f0, per = model.track(a)
                loud = model.track_loudness(a)
                z = (torch.einsum("ji,bjt->bit", model.latent_pca, model.encode(a))
                     + model.latent_mean[:, None])
                amps = model.decoder.harmonic_head(z, f0, per, loud)
                exc, harm = model.excitation_bands(f0, per, None, amps)
                noise = torch.rand(exc.shape) * 2 - 1
                dec = model.decoder(z, noise, exc)
                total = model.decode_bands(z, noise, f0, per, None, loud)
            parts = {"total": total, "head": total - dec, "harmonics": harm, "decoder": dec}
            for k, b in parts.items():
                y = (model.pqmf.inverse(b) / model.input_gain)[0, 0].numpy()[lat:lat + len(x)]
                mcd[k].append(mel_cepstral_distance(ref, y, 48000)[0])
                level[k].append(20 * np.log10(np.sqrt(np.mean(y ** 2)) + 1e-9))
            mcd["input"].append(mel_cepstral_distance(ref, x, 48000)[0])
            level["reference"].append(20 * np.log10(np.sqrt(np.mean(ref ** 2)) + 1e-9))
        print(f"{s.name}: MCD " + ", ".join(f"{k} {np.mean(v):.1f}" for k, v in mcd.items())
              + "; RMS dB " + ", ".join(f"{k} {np.mean(v):.1f}" for k, v in level.items()))


if __name__ == "__main__":
    main()
