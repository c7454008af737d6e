#pragma once
// The model kinds the C ABI plays, by the file's rt_synth.kind (kind_registry.cpp).
#include <string>

#include "capi/kind_session.h"

namespace rt_synth::capi {

// The kind's open function, or nullptr when this build does not play `kind`.
OpenSessionFn findKind(const std::string& kind) noexcept;
// "'ddsp', 'rave' and 'effect'": for messages.
std::string kindNames();

}  // namespace rt_synth::capi
