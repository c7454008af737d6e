// Python face of the effect kind's core model (rt_synth._core.EffectModel).
#pragma once
#include <pybind11/pybind11.h>

void register_effect_bindings(pybind11::module_& m);
