// Every model kind the C ABI plays, one line each: the file's rt_synth.kind and the kind's open
// function (defined in csrc/kinds/KIND/KIND_capi.cpp). Adding a kind: docs/model-kinds.md.
#include "capi/kind_registry.h"

#define RT_SYNTH_KINDS(X)            \
  X("ddsp", openDdspSession)         \
  X("rave", openRaveSession)         \
  X("effect", openEffectSession)

namespace rt_synth::capi {

#define RT_SYNTH_DECLARE(name, fn) rt_synth_status fn(ModelFile&, const OpenOptions&, std::unique_ptr<KindSession>&);
RT_SYNTH_KINDS(RT_SYNTH_DECLARE)

namespace {
struct KindEntry {
  const char* name;
  OpenSessionFn open;
};
#define RT_SYNTH_ENTRY(name, fn) {name, &fn},
const KindEntry kKinds[] = {RT_SYNTH_KINDS(RT_SYNTH_ENTRY)};
}  // namespace

OpenSessionFn findKind(const std::string& kind) noexcept {
  for (const KindEntry& k : kKinds)
    if (kind == k.name) return k.open;
  return nullptr;
}

std::string kindNames() {
  std::string s;
  const size_t n = sizeof kKinds / sizeof kKinds[0];
  for (size_t i = 0; i < n; ++i) {
    if (i) s += i + 1 == n ? " and " : ", ";
    s += std::string("'") + kKinds[i].name + "'";
  }
  return s;
}

}  // namespace rt_synth::capi
