#include "bindings/model_bindings.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "dsp/control_ramp.h"
#include "dsp/control_scaling.h"
#include "dsp/counter_noise.h"
#include "dsp/filtered_noise.h"
#include "dsp/harmonic_oscillator.h"

namespace py = pybind11;
using namespace rt_synth;

namespace {

using F32 = py::array_t<float, py::array::c_style | py::array::forcecast>;
using F64 = py::array_t<double, py::array::c_style | py::array::forcecast>;

void requireDims(const py::array& a, int ndim, const char* name) {
  if (a.ndim() != ndim)
    throw py::value_error(std::string(name) + " must have " + std::to_string(ndim) +
                          " dimension(s), got " + std::to_string(a.ndim()));
}

// Render a frame-by-frame synthesis in chunks of `chunk` samples (chunks never cross frames
// inside the DSP objects; this splits them the way a streaming host would).
template <typename RenderFn>
void renderFrames(int n_frames, int hop, int chunk, float* out, RenderFn&& begin_and_render) {
  if (chunk <= 0) chunk = hop;
  for (int i = 0; i < n_frames; ++i) begin_and_render(i, out + static_cast<long>(i) * hop, chunk);
}

void registerDsp(py::module_& m) {
  auto d = m.def_submodule("dsp", "DSP building blocks of the core (docs/ddsp-maths.md)");

  d.def("counter_noise",
        [](uint64_t seed, uint64_t start, int n) {
          if (n < 0) throw py::value_error("n must be >= 0");
          F32 out(n);
          float* o = out.mutable_data();
          for (int i = 0; i < n; ++i) o[i] = dsp::counterNoiseValue(seed, start + i);
          return out;
        },
        py::arg("seed"), py::arg("start"), py::arg("n"),
        "Counter-based white noise u(start..start+n-1) in [-1, 1) (§4).");

  d.def("exp_sigmoid",
        [](F32 x) {
          F32 out(x.request().shape);
          const float* a = x.data();
          float* o = out.mutable_data();
          for (py::ssize_t i = 0; i < x.size(); ++i) o[i] = dsp::expSigmoid(a[i]);
          return out;
        },
        py::arg("x"));

  d.def("causal_frame_upsample",
        [](F32 frames, int hop, F32 first) {
          requireDims(frames, 2, "frames");
          const int F = static_cast<int>(frames.shape(0)), C = static_cast<int>(frames.shape(1));
          if (first.size() != C) throw py::value_error("first must have one value per channel");
          if (hop <= 0) throw py::value_error("hop must be > 0");
          F64 out({static_cast<py::ssize_t>(F) * hop, static_cast<py::ssize_t>(C)});
          dsp::causalFrameUpsample(frames.data(), F, C, hop, first.data(), out.mutable_data());
          return out;
        },
        py::arg("frames"), py::arg("hop"), py::arg("first"),
        "frames [F, C] → [F·hop, C] causal linear ramp from c[-1] = first (§2), float64.");

  d.def("harmonic_amplitudes",
        [](F32 a_raw, F32 d_raw, F32 f0, float sample_rate) {
          requireDims(d_raw, 2, "d_raw");
          const int F = static_cast<int>(d_raw.shape(0)), K = static_cast<int>(d_raw.shape(1));
          if (a_raw.size() != F || f0.size() != F)
            throw py::value_error("a_raw and f0 must have one value per frame");
          F32 out({F, K});
          for (int i = 0; i < F; ++i)
            dsp::harmonicAmplitudes(a_raw.data()[i], d_raw.data() + static_cast<long>(i) * K, K,
                                    f0.data()[i], sample_rate, out.mutable_data() + static_cast<long>(i) * K);
          return out;
        },
        py::arg("a_raw"), py::arg("d_raw"), py::arg("f0_hz"), py::arg("sample_rate"),
        "Raw decoder outputs → harmonic amplitudes A[F, K] (§1).");

  d.def("noise_magnitudes",
        [](F32 n_raw) {
          F32 out(n_raw.request().shape);
          dsp::noiseMagnitudes(n_raw.data(), static_cast<int>(n_raw.size()), out.mutable_data());
          return out;
        },
        py::arg("n_raw"));

  d.def("harmonic_oscillator",
        [](F32 f0_frames, F32 amps, double sample_rate, int hop, int chunk) {
          requireDims(f0_frames, 1, "f0_hz");
          requireDims(amps, 2, "amplitudes");
          const int F = static_cast<int>(f0_frames.shape(0)), K = static_cast<int>(amps.shape(1));
          if (amps.shape(0) != F) throw py::value_error("amplitudes must be [F, K]");
          if (hop <= 0 || K <= 0) throw py::value_error("hop and K must be > 0");
          F32 out(static_cast<py::ssize_t>(F) * hop);
          const float* f0 = f0_frames.data();
          const float* a = amps.data();
          float* o = out.mutable_data();
          {
            py::gil_scoped_release release;
            dsp::HarmonicOscillator osc;
            osc.prepare(sample_rate, hop, K);
            renderFrames(F, hop, chunk, o, [&](int i, float* dst, int c) {
              osc.beginFrame(f0[i], a + static_cast<long>(i) * K);
              for (int done = 0; done < hop; done += c) osc.render(dst + done, std::min(c, hop - done));
            });
          }
          return out;
        },
        py::arg("f0_hz"), py::arg("amplitudes"), py::arg("sample_rate"), py::arg("hop"),
        py::arg("chunk") = 0,
        "Per-frame f0 [F] and harmonic amplitudes [F, K] → audio [F·hop] (§2–3).");

  d.def("noise_impulse_response",
        [](F32 mags) {
          requireDims(mags, 1, "magnitudes");
          const int B = static_cast<int>(mags.shape(0));
          if (B < 2) throw py::value_error("need at least 2 bands");
          dsp::FilteredNoise fn;
          fn.prepare(1, B);
          F32 out(fn.filterLength());
          fn.computeImpulseResponse(mags.data(), out.mutable_data());
          return out;
        },
        py::arg("magnitudes"), "roll(irfft(m), L/2) · hann_symmetric (§4).");

  d.def("filtered_noise",
        [](F32 mags, F32 noise, int hop, int chunk) {
          requireDims(mags, 2, "magnitudes");
          const int F = static_cast<int>(mags.shape(0)), B = static_cast<int>(mags.shape(1));
          if (hop <= 0 || B < 2) throw py::value_error("hop must be > 0 and bands >= 2");
          if (noise.size() != static_cast<py::ssize_t>(F) * hop)
            throw py::value_error("noise must have F·hop samples");
          F32 out(static_cast<py::ssize_t>(F) * hop);
          const float* m = mags.data();
          const float* u = noise.data();
          float* o = out.mutable_data();
          {
            py::gil_scoped_release release;
            std::fill(o, o + static_cast<long>(F) * hop, 0.0f);
            dsp::FilteredNoise fn;
            fn.prepare(hop, B);
            renderFrames(F, hop, chunk, o, [&](int i, float* dst, int c) {
              fn.beginFrame(m + static_cast<long>(i) * B, u + static_cast<long>(i) * hop);
              for (int done = 0; done < hop; done += c) fn.renderAdd(dst + done, std::min(c, hop - done));
            });
          }
          return out;
        },
        py::arg("magnitudes"), py::arg("noise"), py::arg("hop"), py::arg("chunk") = 0,
        "Per-frame band magnitudes [F, B] and white noise [F·hop] → filtered noise (§4).");
}

}  // namespace

void register_model_bindings(py::module_& m) {
  registerDsp(m);
}
