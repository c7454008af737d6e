// Python bindings of the model-file reader (rt_synth._core.ModelFile, ModelFileError) and
// of the layers (rt_synth._core.layers), for tests and tools.
#pragma once
#include <pybind11/pybind11.h>

void register_layer_bindings(pybind11::module_& m);
