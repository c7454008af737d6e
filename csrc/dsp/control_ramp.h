// Causal frame → sample interpolation (docs/ddsp-maths.md §2):
//     c(n) = c[i-1] + (c[i] - c[i-1]) · (j+1)/H,   n = i·H + j
// The frame's value is reached on its last sample; nothing looks ahead, so a streaming core
// can synthesise a frame as soon as its controls are known.
#pragma once

namespace rt_synth::dsp {

// Ramp position of sample j (0 ≤ j < hop) inside its frame: (j+1)/hop, in double like the
// PyTorch reference (arange(1, H+1, float64) / H).
inline double rampPosition(int j, int hop) { return static_cast<double>(j + 1) / hop; }

// One scalar control ramped frame to frame (f0, gains...). `start` sets c[-1].
class ControlRamp {
 public:
  void reset(double initial) { prev_ = target_ = initial; }
  // New frame target: the previous target becomes the ramp's start.
  void setTarget(double value) { prev_ = target_; target_ = value; }
  double valueAt(int j, int hop) const { return prev_ + (target_ - prev_) * rampPosition(j, hop); }
  double previous() const { return prev_; }
  double target() const { return target_; }

 private:
  double prev_ = 0.0;
  double target_ = 0.0;
};

// Whole-signal causal upsampling, for tests and bindings: frames[F][C] → out[F·hop][C].
// `first` is c[-1] (C values).
void causalFrameUpsample(const float* frames, int n_frames, int channels, int hop,
                         const float* first, double* out);

}  // namespace rt_synth::dsp
