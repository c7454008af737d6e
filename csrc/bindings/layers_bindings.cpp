#include "bindings/layers_bindings.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "format/model_file.h"
#include "layers/activations.h"
#include "layers/gru.h"
#include "layers/kernels.h"
#include "layers/layer_norm.h"
#include "layers/linear.h"
#include "util/denormal_guard.h"

namespace py = pybind11;
using namespace rt_synth;

namespace {

using FArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

struct ModelFileException : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct LayerException : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void raise_model(const Error& e) {
  throw ModelFileException(error_message(e));
}
void raise_layer(const Error& e) {
  if (e) throw std::invalid_argument(e.message);
}

void check_ndim(const FArray& a, int ndim, const char* what) {
  if (a.ndim() != ndim)
    throw std::invalid_argument(std::string(what) + ": expected " + std::to_string(ndim) + " dimensions, got " +
                                std::to_string(a.ndim()));
}
void check_dim(const FArray& a, int axis, py::ssize_t n, const char* what) {
  if (a.shape(axis) != n)
    throw std::invalid_argument(std::string(what) + ": axis " + std::to_string(axis) + " has size " +
                                std::to_string(a.shape(axis)) + ", expected " + std::to_string(n));
}
const float* opt_ptr(const std::optional<FArray>& a, py::ssize_t n, const char* what) {
  if (!a) return nullptr;
  if (a->ndim() != 1 || a->shape(0) != n)
    throw std::invalid_argument(std::string(what) + ": expected shape [" + std::to_string(n) + "]");
  return a->data();
}

py::object value_to_py(const GgufValue& v) {
  switch (v.type) {
    case GgufType::kUint8: case GgufType::kUint16: case GgufType::kUint32: case GgufType::kUint64:
      return py::int_(v.u);
    case GgufType::kInt8: case GgufType::kInt16: case GgufType::kInt32: case GgufType::kInt64:
      return py::int_(v.i);
    case GgufType::kFloat32: case GgufType::kFloat64: return py::float_(v.f);
    case GgufType::kBool: return py::bool_(v.u != 0);
    case GgufType::kString: return py::str(v.s);
    case GgufType::kArray: {
      py::list l;
      if (v.array_type == GgufType::kString)
        for (const auto& s : v.strings) l.append(py::str(s));
      else
        for (double d : v.numbers) {
          if (v.array_type == GgufType::kFloat32 || v.array_type == GgufType::kFloat64) l.append(py::float_(d));
          else if (v.array_type == GgufType::kBool) l.append(py::bool_(d != 0));
          else l.append(py::int_(static_cast<long long>(d)));
        }
      return std::move(l);
    }
  }
  return py::none();
}

std::shared_ptr<ModelFile> open_path(const std::string& path) {
  auto f = std::make_shared<ModelFile>();
  Error e;
  {
    py::gil_scoped_release nogil;
    e = ModelFile::load(path, *f);
  }
  if (e) raise_model(e);
  return f;
}

std::shared_ptr<ModelFile> open_bytes(const py::bytes& b, const std::string& name) {
  auto f = std::make_shared<ModelFile>();
  std::string_view sv = b;
  Error e = ModelFile::from_memory(sv.data(), sv.size(), *f, name);
  if (e) raise_model(e);
  return f;
}

// ---- conv layers are registered in register_conv_bindings (below, when present) ----

}  // namespace

void register_conv_bindings(py::module_& layers);  // layers_bindings_conv.cpp part

void register_layer_bindings(py::module_& m) {
  // ModelFileError is a ValueError: a bad file is bad input, not a crash.
  static py::exception<ModelFileException> model_error(m, "ModelFileError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ModelFileException& e) {
      PyErr_SetString(model_error.ptr(), e.what());
    }
  });

  py::class_<ModelFile, std::shared_ptr<ModelFile>>(m, "ModelFile",
                                                     "A validated native model file (GGUF v3). Raises ModelFileError.")
      .def(py::init(&open_path), py::arg("path"))
      .def_static("from_bytes", &open_bytes, py::arg("data"), py::arg("name") = "<bytes>")
      .def_property_readonly("name", &ModelFile::name)
      .def_property_readonly("gguf_version", &ModelFile::gguf_version)
      .def_property_readonly("alignment", &ModelFile::alignment)
      .def_property_readonly("format_version", &ModelFile::format_version)
      .def("keys", &ModelFile::keys)
      .def("__contains__", &ModelFile::has)
      .def("get", [](const ModelFile& f, const std::string& k) {
        const GgufValue* v = f.find(k);
        if (!v) throw py::key_error(k);
        return value_to_py(*v);
      })
      .def("value_type", [](const ModelFile& f, const std::string& k) {
        const GgufValue* v = f.find(k);
        if (!v) throw py::key_error(k);
        return std::string(gguf_type_name(v->type));
      })
      .def("get_u32", [](const ModelFile& f, const std::string& k) {
        uint32_t v;
        if (Error e = f.get_u32(k, v)) raise_model(e);
        return v;
      })
      .def("get_f32", [](const ModelFile& f, const std::string& k) {
        float v;
        if (Error e = f.get_f32(k, v)) raise_model(e);
        return v;
      })
      .def("get_string", [](const ModelFile& f, const std::string& k) {
        std::string v;
        if (Error e = f.get_string(k, v)) raise_model(e);
        return v;
      })
      .def("tensor_names", &ModelFile::tensor_names)
      .def("tensor_shape", [](const ModelFile& f, const std::string& n) {
        const TensorView* t = f.find_tensor(n);
        if (!t) throw py::key_error(n);
        return t->shape;
      })
      // A copy of the tensor; expected_shape (optional) is checked like the C++ loaders do.
      .def("tensor", [](const ModelFile& f, const std::string& n, std::optional<std::vector<int64_t>> expected) {
        const TensorView* t = f.find_tensor(n);
        if (!t && !expected) throw py::key_error(n);
        TensorView tv;
        if (expected) {
          if (Error e = f.tensor(n, *expected, tv)) raise_model(e);
        } else {
          tv = *t;
        }
        std::vector<py::ssize_t> shape(tv.shape.begin(), tv.shape.end());
        py::array_t<float> a(shape);
        std::memcpy(a.mutable_data(), tv.data, sizeof(float) * tv.numel);
        return a;
      }, py::arg("name"), py::arg("expected_shape") = py::none());

  py::module_ L = m.def_submodule("layers", "C++ layers (rt_synth/csrc/layers), exposed for tests");

  L.def("isa", [] { return std::string(isa_name(kernels::active_isa())); }, "Active kernel path");
  L.def("set_isa", [](const std::string& name) {
    if (name == "portable") return kernels::set_isa(Isa::kPortable);
    if (name == "avx2" || name == "avx2+fma") return kernels::set_isa(Isa::kAvx2Fma);
    throw std::invalid_argument("isa must be 'portable' or 'avx2'");
  }, "Force a kernel path; returns False if the CPU cannot run it");

  L.def("activation", [](const std::string& name, FArray x, float alpha) {
    static const std::pair<const char*, Activation> kinds[] = {
        {"identity", Activation::kIdentity}, {"tanh", Activation::kTanh}, {"sigmoid", Activation::kSigmoid},
        {"leaky_relu", Activation::kLeakyRelu}, {"relu", Activation::kRelu}, {"elu", Activation::kElu},
        {"silu", Activation::kSilu}};
    for (auto& k : kinds)
      if (name == k.first) {
        py::array_t<float> y(x.request().shape);
        std::memcpy(y.mutable_data(), x.data(), sizeof(float) * x.size());
        float* p = y.mutable_data();
        const int n = static_cast<int>(x.size());
        py::gil_scoped_release nogil;
        DenormalGuard dg;
        apply_activation(k.second, p, n, alpha);
        return y;
      }
    throw std::invalid_argument("unknown activation '" + name + "'");
  }, py::arg("name"), py::arg("x"), py::arg("alpha") = 0.01f);

  py::class_<Linear>(L, "Linear")
      .def(py::init([](FArray w, std::optional<FArray> b) {
        check_ndim(w, 2, "Linear weight");
        auto l = std::make_unique<Linear>();
        raise_layer(l->set_weights(w.data(), opt_ptr(b, w.shape(0), "Linear bias"), static_cast<int>(w.shape(0)),
                                   static_cast<int>(w.shape(1))));
        return l;
      }), py::arg("weight"), py::arg("bias") = py::none())
      .def_property_readonly("in_features", &Linear::in_features)
      .def_property_readonly("out_features", &Linear::out_features)
      .def("forward", [](const Linear& l, FArray x) {
        check_ndim(x, 2, "Linear input");
        check_dim(x, 1, l.in_features(), "Linear input");
        const int batch = static_cast<int>(x.shape(0));
        py::array_t<float> y({static_cast<py::ssize_t>(batch), static_cast<py::ssize_t>(l.out_features())});
        const float* xp = x.data();
        float* yp = y.mutable_data();
        py::gil_scoped_release nogil;
        DenormalGuard dg;
        l.forward(xp, yp, batch);
        return y;
      }, "x [batch, in] -> [batch, out]");

  py::class_<LayerNorm>(L, "LayerNorm")
      .def(py::init([](std::optional<FArray> g, std::optional<FArray> b, int features, float eps) {
        if (features <= 0 && g) features = static_cast<int>(g->size());
        auto l = std::make_unique<LayerNorm>();
        raise_layer(l->set_weights(opt_ptr(g, features, "LayerNorm weight"), opt_ptr(b, features, "LayerNorm bias"),
                                   features, eps));
        return l;
      }), py::arg("weight"), py::arg("bias"), py::arg("features") = 0, py::arg("eps") = 1e-5f)
      .def("forward", [](const LayerNorm& l, FArray x) {
        check_ndim(x, 2, "LayerNorm input");
        check_dim(x, 1, l.features(), "LayerNorm input");
        const int batch = static_cast<int>(x.shape(0));
        py::array_t<float> y({static_cast<py::ssize_t>(batch), static_cast<py::ssize_t>(l.features())});
        const float* xp = x.data();
        float* yp = y.mutable_data();
        py::gil_scoped_release nogil;
        DenormalGuard dg;
        l.forward(xp, yp, batch);
        return y;
      });

  py::class_<GRU>(L, "GRU")
      .def(py::init([](FArray wih, FArray whh, std::optional<FArray> bih, std::optional<FArray> bhh, int max_batch) {
        check_ndim(wih, 2, "GRU weight_ih");
        check_ndim(whh, 2, "GRU weight_hh");
        const py::ssize_t g3 = wih.shape(0);
        if (g3 % 3 != 0) throw std::invalid_argument("GRU weight_ih: first axis must be 3*hidden");
        check_dim(whh, 0, g3, "GRU weight_hh");
        check_dim(whh, 1, g3 / 3, "GRU weight_hh");
        auto l = std::make_unique<GRU>();
        raise_layer(l->set_weights(wih.data(), whh.data(), opt_ptr(bih, g3, "GRU bias_ih"), opt_ptr(bhh, g3, "GRU bias_hh"),
                                   static_cast<int>(wih.shape(1)), static_cast<int>(g3 / 3)));
        raise_layer(l->prepare(max_batch));
        return l;
      }), py::arg("weight_ih"), py::arg("weight_hh"), py::arg("bias_ih") = py::none(), py::arg("bias_hh") = py::none(),
          py::arg("max_batch") = 1)
      .def_property_readonly("hidden_size", &GRU::hidden_size)
      .def_property_readonly("input_size", &GRU::input_size)
      .def("reset", &GRU::reset)
      .def("reset_voice", &GRU::reset_voice)
      .def_property_readonly("hidden", [](const GRU& g) {
        py::array_t<float> h({static_cast<py::ssize_t>(g.max_batch()), static_cast<py::ssize_t>(g.hidden_size())});
        std::memcpy(h.mutable_data(), g.hidden(), sizeof(float) * g.max_batch() * g.hidden_size());
        return h;
      })
      .def("forward", [](GRU& g, FArray x) {
        check_ndim(x, 3, "GRU input [T, batch, in]");
        check_dim(x, 2, g.input_size(), "GRU input");
        if (x.shape(1) > g.max_batch()) throw std::invalid_argument("GRU input: batch exceeds max_batch");
        const int T = static_cast<int>(x.shape(0)), B = static_cast<int>(x.shape(1)), I = g.input_size(),
                  G = g.hidden_size();
        py::array_t<float> y({static_cast<py::ssize_t>(T), static_cast<py::ssize_t>(B), static_cast<py::ssize_t>(G)});
        const float* xp = x.data();
        float* yp = y.mutable_data();
        py::gil_scoped_release nogil;
        DenormalGuard dg;
        for (int t = 0; t < T; ++t) g.step(xp + static_cast<std::size_t>(t) * B * I, yp + static_cast<std::size_t>(t) * B * G, B);
        return y;
      }, "x [T, batch, in] -> outputs [T, batch, hidden]; state kept between calls");

  register_conv_bindings(L);
}
