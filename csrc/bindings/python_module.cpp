// rt_synth._core: the pybind11 face of the C++ streaming core.
#include <pybind11/pybind11.h>
#include <pybind11/numpy.h>

#include "bindings/layers_bindings.h"
#include "bindings/synth_bindings.h"
#include "bindings/transfer_bindings.h"
#include "kinds/ddsp/ddsp_model_bindings.h"
#include "kinds/effect/effect_bindings.h"
#include "kinds/rave/rave_bindings.h"
#include "kinds/rave/rave_engine_bindings.h"
#include "kinds/rave/rave_synth_bindings.h"
#include "util/version.h"

namespace py = pybind11;

PYBIND11_MODULE(_core, m) {
  m.doc() = "rt-synth C++ streaming core";
  m.def("version", &rt_synth::version, "Version of the C++ core");
  m.attr("FORMAT_VERSION") = rt_synth::kFormatVersion;
  register_layer_bindings(m);
  register_model_bindings(m);
  register_rave_bindings(m);  // after model bindings: extends load_model
  register_transfer_bindings(m);
  register_synth_bindings(m);
  register_rave_engine_bindings(m);
  register_rave_synth_bindings(m);
  register_effect_bindings(m);
}
