// Python bindings of the DSP pieces (rt_synth._core.dsp) and of the streaming models.
#pragma once
#include <pybind11/pybind11.h>

void register_model_bindings(pybind11::module_& m);
