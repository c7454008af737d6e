#include "util/version.h"
namespace rt_synth {
const char* version() { return kVersion; }
}  // namespace rt_synth
