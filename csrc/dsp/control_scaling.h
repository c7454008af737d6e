// Raw network outputs → synthesis controls (docs/ddsp-maths.md §1).
#pragma once

namespace rt_synth::dsp {

// exp_sigmoid(x) = 2·sigmoid(x)^ln(10) + 1e-7, computed as 2·exp(−ln10·softplus(−x)) in
// double (stable for any finite x; NaN maps to 1e-7, ±Inf to the range ends).
float expSigmoid(float x);

// A_k = a·d_k with a = exp_sigmoid(a_raw), d_k = exp_sigmoid(d_raw_k), d_k = 0 where
// k·f0 ≥ SR/2 (k = 1..K, tested in float32 like the reference), d normalised by Σd + 1e-7.
void harmonicAmplitudes(float a_raw, const float* d_raw, int n_harmonics, float f0_hz,
                        float sample_rate, float* amplitudes);

// m_b = exp_sigmoid(n_raw_b − 5).
void noiseMagnitudes(const float* n_raw, int n_bands, float* magnitudes);

}  // namespace rt_synth::dsp
