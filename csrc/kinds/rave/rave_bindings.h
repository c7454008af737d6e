// Python bindings of the streaming RAVE model (rt_synth._core.RaveModel, docs/core-rave.md).
#pragma once
#include <pybind11/pybind11.h>

// Registers RaveModel and makes load_model() build it for files of kind "rave" (other kinds
// go to the load_model registered before). Call after register_model_bindings.
void register_rave_bindings(pybind11::module_& m);
