// Python bindings of the RAVE host engine (rt_synth._core.RaveEngine, docs/rave-engine.md).
#pragma once
#include <pybind11/pybind11.h>

void register_rave_engine_bindings(pybind11::module_& m);
