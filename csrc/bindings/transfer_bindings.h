// Python bindings of timbre transfer and host adaptation: rt_synth._core.TimbreTransfer and
// rt_synth._core.transfer.{StreamingYin, LoudnessMeter, Resampler} (docs/timbre-transfer.md).
#pragma once
#include <pybind11/pybind11.h>

void register_transfer_bindings(pybind11::module_& m);
