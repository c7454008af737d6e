// Python bindings of the RAVE MIDI synth (rt_synth._core.RaveSynth, docs/rave-engine.md
// "Playing from MIDI").
#pragma once
#include <pybind11/pybind11.h>

void register_rave_synth_bindings(pybind11::module_& m);
