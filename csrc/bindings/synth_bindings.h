// Python bindings of the synth engine: rt_synth._core.SynthEngine, synth_params().
#pragma once
#include <pybind11/pybind11.h>

void register_synth_bindings(pybind11::module_& m);
