/* bundle_paths.hpp — where a binary finds its bundled model, and the name it shows, from the
 * path of the binary itself (DPF's getBinaryFilename()), so that one compiled binary serves
 * every per-model bundle:
 *   VST3: NAME.vst3/Contents/<arch>-linux/NAME.so  -> model NAME.vst3/Contents/Resources/model.rtsynth
 *   CLAP: DIR/NAME.clap                            -> model DIR/NAME.rtsynth (next to it; CLAP on
 *         Linux is a single file, and hosts scan only *.clap)
 * NAME is e.g. "rt-synth-violin-live-ddsp-instrument": the host shows it, and the VST3 unique
 * id and the CLAP id are derived from it. */
#pragma once

#include <cstdint>
#include <string>

namespace rt_synth_dpf {

struct BundleInfo {
  std::string name;        /* NAME */
  std::string model_path;  /* bundled model ("" when the layout is not recognised) */
};

inline std::string dir_of(const std::string& p) {
  const size_t k = p.find_last_of('/');
  return k == std::string::npos ? std::string(".") : p.substr(0, k);
}

inline std::string base_of(const std::string& p) {
  const size_t k = p.find_last_of('/');
  return k == std::string::npos ? p : p.substr(k + 1);
}

inline bool ends_with(const std::string& s, const char* suffix) {
  const std::string t(suffix);
  return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}

inline BundleInfo bundle_info(const char* binary) {
  BundleInfo b;
  const std::string bin(binary ? binary : "");
  if (ends_with(bin, ".clap")) {
    std::string base = base_of(bin);
    b.name = base.substr(0, base.size() - 5);
    b.model_path = dir_of(bin) + "/" + b.name + ".rtsynth";
    return b;
  }
  const std::string contents = dir_of(dir_of(bin));  /* NAME.vst3/Contents */
  const std::string bundle = dir_of(contents);       /* NAME.vst3 */
  std::string base = base_of(bundle);
  if (ends_with(base_of(contents), "Contents") && ends_with(base, ".vst3")) {
    b.name = base.substr(0, base.size() - 5);
    b.model_path = contents + "/Resources/model.rtsynth";
  } else {
    base = base_of(bin);
    const size_t dot = base.find_last_of('.');
    b.name = dot == std::string::npos ? base : base.substr(0, dot);
    b.model_path = dir_of(bin) + "/model.rtsynth";
  }
  return b;
}

/* FNV-1a of the name, as a 32-bit id (VST3 class id part, DPF getUniqueId). */
inline int64_t unique_id_of(const std::string& name) {
  uint32_t h = 2166136261u;
  for (unsigned char c : name) h = (h ^ c) * 16777619u;
  return static_cast<int64_t>(h & 0x7fffffff);
}

}  // namespace rt_synth_dpf
