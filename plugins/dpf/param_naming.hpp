/* param_naming.hpp — what a host shows for a C ABI parameter, derived from its name alone
 * (rt_synth_param_info gives name, min, max, default; the unit is the name's suffix):
 *   "attack_s" -> name "Attack", unit "s";  "output_gain_db" -> "Output gain", "dB";
 *   "latent_offset_3" -> "Latent offset 3", no unit.
 * The symbol (the key of saved state and of LV2/CLAP ids) stays the C ABI name. */
#pragma once

#include <cstddef>
#include <cstring>
#include <string>

namespace rt_synth_dpf {

struct ParamLabel {
  std::string name;
  std::string unit;
};

inline ParamLabel label_for(const char* symbol) {
  static const struct {
    const char* suffix;
    const char* unit;
  } kUnits[] = {{"_db", "dB"}, {"_s", "s"}, {"_hz", "Hz"}, {"_cents", "cents"}, {"_semitones", "semitones"}, {"_ms", "ms"}};
  ParamLabel out;
  std::string s(symbol ? symbol : "");
  for (const auto& u : kUnits) {
    const size_t n = std::strlen(u.suffix);
    if (s.size() > n && s.compare(s.size() - n, n, u.suffix) == 0) {
      s.resize(s.size() - n);
      out.unit = u.unit;
      break;
    }
  }
  for (char& c : s)
    if (c == '_') c = ' ';
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  out.name = s;
  return out;
}

}  // namespace rt_synth_dpf
