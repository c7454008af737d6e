// Conv layer bindings (called from register_layer_bindings): CachedConv1d and
// CachedConvTranspose1d over numpy [channels, frames] blocks, GIL released while processing.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "layers/cached_conv1d.h"
#include "layers/cached_conv_transpose1d.h"
#include "util/denormal_guard.h"

namespace py = pybind11;
using namespace rt_synth;

namespace {
using FArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

void check(const Error& e) {
  if (e) throw std::invalid_argument(e.message);
}
const float* bias_ptr(const std::optional<FArray>& b, py::ssize_t n) {
  if (!b) return nullptr;
  if (b->ndim() != 1 || b->shape(0) != n) throw std::invalid_argument("bias: expected shape [" + std::to_string(n) + "]");
  return b->data();
}
void check_block(const FArray& x, int channels, int max_block) {
  if (x.ndim() != 2 || x.shape(0) != channels)
    throw std::invalid_argument("input must be [" + std::to_string(channels) + ", n]");
  if (x.shape(1) > max_block)
    throw std::invalid_argument("block of " + std::to_string(x.shape(1)) + " frames exceeds max_block " +
                                std::to_string(max_block));
}
}  // namespace

void register_conv_bindings(py::module_& L) {
  py::class_<CachedConv1d>(L, "CachedConv1d")
      .def(py::init([](FArray w, std::optional<FArray> b, int stride, int dilation, int max_block) {
        if (w.ndim() != 3) throw std::invalid_argument("weight must be [C_out, C_in, k]");
        auto l = std::make_unique<CachedConv1d>();
        check(l->set_weights(w.data(), bias_ptr(b, w.shape(0)), static_cast<int>(w.shape(0)),
                             static_cast<int>(w.shape(1)), static_cast<int>(w.shape(2)), stride, dilation));
        check(l->prepare(max_block));
        return l;
      }), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = 1, py::arg("dilation") = 1,
          py::arg("max_block") = 4096)
      .def("reset", &CachedConv1d::reset)
      .def_property_readonly("latency", &CachedConv1d::latency)
      .def("output_frames", &CachedConv1d::output_frames)
      .def("process", [](CachedConv1d& l, FArray x) {
        check_block(x, l.in_channels(), l.max_block());
        const int n = static_cast<int>(x.shape(1));
        const int m = l.output_frames(n);
        py::array_t<float> y({static_cast<py::ssize_t>(l.out_channels()), static_cast<py::ssize_t>(m)});
        const float* xp = x.data();
        float* yp = y.mutable_data();
        {
          py::gil_scoped_release nogil;
          DenormalGuard dg;
          l.process(xp, yp, n);
        }
        return y;
      }, "x [C_in, n] -> [C_out, output_frames(n)]");

  py::class_<CachedConvTranspose1d>(L, "CachedConvTranspose1d")
      .def(py::init([](FArray w, std::optional<FArray> b, int stride, int max_block) {
        if (w.ndim() != 3) throw std::invalid_argument("weight must be [C_in, C_out, k]");
        auto l = std::make_unique<CachedConvTranspose1d>();
        check(l->set_weights(w.data(), bias_ptr(b, w.shape(1)), static_cast<int>(w.shape(0)),
                             static_cast<int>(w.shape(1)), static_cast<int>(w.shape(2)), stride));
        check(l->prepare(max_block));
        return l;
      }), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = 1, py::arg("max_block") = 4096)
      .def("reset", &CachedConvTranspose1d::reset)
      .def_property_readonly("latency", &CachedConvTranspose1d::latency)
      .def("process", [](CachedConvTranspose1d& l, FArray x) {
        check_block(x, l.in_channels(), l.max_block());
        const int n = static_cast<int>(x.shape(1));
        py::array_t<float> y({static_cast<py::ssize_t>(l.out_channels()), static_cast<py::ssize_t>(l.output_frames(n))});
        const float* xp = x.data();
        float* yp = y.mutable_data();
        {
          py::gil_scoped_release nogil;
          DenormalGuard dg;
          l.process(xp, yp, n);
        }
        return y;
      }, "x [C_in, n] -> [C_out, n*stride]");
}
