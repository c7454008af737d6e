"""rt_synth.dsp: differentiable DSP pieces (docs/ddsp-maths.md) and analysis features.

Modules (imported on demand; nothing heavy is loaded here):
  scaling        exp_sigmoid, hz_to_midi, midi_to_hz
  upsample       causal_frame_upsample
  harmonic       HarmonicOscillator, accumulate_phase
  prng           counter_noise, counter_noise_torch
  noise          FilteredNoise, noise_impulse_responses
  loudness       a_weighted_loudness (numpy), a_weighted_loudness_torch
  spectral_loss  MultiScaleSpectralLoss
  yin            yin_track, StreamingYin (numba)
"""
