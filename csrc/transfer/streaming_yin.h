// Causal streaming YIN: the C++ port of rt_synth/dsp/yin.py (contract: docs/yin.md).
//
// Same parameters (W = tau_max = ceil(SR/f0_min), tau_min = floor(SR/f0_max)), same
// sanitisation (non-finite -> 0, clip to [-4, 4]), same float64 running sums updated per sample
// in the same operation order (this file is compiled with -ffp-contract=off: no FMA), the same
// exact refresh every 256 hops at absolute sample counts, the same per-frame analysis. So the
// frames equal yin_track's bit for bit whatever the block sizes (tested).
//
// Real time: memory is taken in prepare(); push() does not allocate. Cost per sample: 2*tau_max
// multiply-adds; per frame O(tau_max); per refresh W*tau_max (once every 256 hops).
#pragma once
#include <cstdint>

#include "util/aligned_buffer.h"
#include "util/error.h"

namespace rt_synth {

struct YinFrame {
  float f0 = 0.f;           // Hz (held over silence)
  float periodicity = 0.f;  // clip(1 - CMNDF(tau), 0, 1)
  bool voiced = false;      // a CMNDF dip under the threshold was found
  bool silent = false;      // window mean square < 1e-12
  // Σ x² over the frame's window (W samples ending at the frame's last sample; the running sum,
  // refreshed exactly every 256 hops, so it can drift by rounding just below 0): the RAVE
  // harmonic head's loudness (rt_synth/kinds/rave/model/pitch_source.py loudness_frames). 0 after reset.
  double energy = 0.0;
};

class StreamingYin {
 public:
  static constexpr int kRefreshFrames = 256;
  static constexpr double kSilencePower = 1e-12;
  static constexpr double kClip = 4.0;

  // Allocates. kInvalidArgument for an unusable range (same rules as yin_params()).
  Error prepare(double sample_rate, int hop, double f0_min, double f0_max, double threshold) noexcept;
  void reset() noexcept;

  // One input sample; returns true when it completes a frame (then frame() holds it).
  bool push(float sample) noexcept;
  const YinFrame& frame() const noexcept { return frame_; }

  int window() const noexcept { return window_; }
  int tauMin() const noexcept { return tau_min_; }
  int tauMax() const noexcept { return tau_max_; }
  int hop() const noexcept { return hop_; }
  double f0Min() const noexcept { return f0_min_; }
  uint64_t samples() const noexcept { return n_; }

 private:
  void refresh(const double* last) noexcept;
  void analyse() noexcept;

  double sample_rate_ = 48000, f0_min_ = 60, f0_max_ = 1800, threshold_ = 0.15;
  int hop_ = 192, window_ = 0, tau_min_ = 0, tau_max_ = 0, ring_ = 0, pos_ = 0;
  uint64_t refresh_ = 0, n_ = 0;
  double energy_ = 0, held_f0_ = 0;
  AlignedBuffer<double> hist_;   // doubled ring of ring_ = W + tau_max + 1 samples
  AlignedBuffer<double> dr_;     // dr[j] = d(tau_max - j)
  AlignedBuffer<double> cmndf_;  // tau_max + 1
  YinFrame frame_;
  bool prepared_ = false;
};

}  // namespace rt_synth
