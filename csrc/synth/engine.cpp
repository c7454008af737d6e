#include "synth/engine.h"

namespace rt_synth::synth {

Error Engine::load(const std::string& path, int max_voices, std::unique_ptr<Engine>& out) noexcept {
  try {
    auto e = std::unique_ptr<Engine>(new Engine());
    if (Error err = SynthEngine::load(path, max_voices, e->synth_)) return err;
    out = std::move(e);
    return Error::none();
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, path + ": out of memory building the engine");
  }
}

Error Engine::setMode(Mode m) noexcept {
  if (m == Mode::kSynth) {
    mode_ = m;
    return Error::none();
  }
  return make_error(ErrorCode::kUnsupported,
                    "Engine: transfer mode is not built into this core yet (csrc/transfer pending)");
}

}  // namespace rt_synth::synth
