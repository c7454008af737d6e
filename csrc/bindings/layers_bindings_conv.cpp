// Conv layer bindings (part of register_layer_bindings).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

namespace py = pybind11;

void register_conv_bindings(py::module_&) {}
