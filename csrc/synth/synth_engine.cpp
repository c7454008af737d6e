#include "synth/synth_engine.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "util/denormal_guard.h"

namespace rt_synth::synth {

namespace {
constexpr double kTwoPi = 6.283185307179586;
inline int pidx(Param p) { return static_cast<int>(p); }
}  // namespace

Error SynthEngine::fromFile(const ModelFile& file, int max_voices, std::unique_ptr<SynthEngine>& out) noexcept {
  if (max_voices < 1 || max_voices > kMaxVoices)
    return make_error(ErrorCode::kInvalidArgument,
                      "SynthEngine: voices must be in 1.." + std::to_string(kMaxVoices) + ", got " +
                          std::to_string(max_voices));
  try {
    auto e = std::unique_ptr<SynthEngine>(new SynthEngine());
    if (Error err = DDSPConfig::read(file, e->cfg_)) return err;
    if (Error err = e->net_.load(file, e->cfg_)) return err;
    e->max_voices_ = max_voices;
    e->queue_ = std::make_unique<Queue>();
    for (int i = 0; i < pidx(Param::kCount); ++i) {
      e->params_[i] = paramInfo(static_cast<Param>(i)).def;
      e->shown_params_[i].store(e->params_[i], std::memory_order_relaxed);
    }
    e->params_[pidx(Param::kPolyphony)] = static_cast<float>(max_voices);
    e->shown_params_[pidx(Param::kPolyphony)].store(static_cast<float>(max_voices));
    // Default CC map: mod wheel, expression, volume (−40..0 dB), breath → expression.
    e->cc_map_[1] = {pidx(Param::kModWheel), 0.f, 1.f};
    e->cc_map_[2] = {pidx(Param::kExpression), 0.f, 1.f};
    e->cc_map_[7] = {pidx(Param::kOutputGainDb), -40.f, 0.f};
    e->cc_map_[11] = {pidx(Param::kExpression), 0.f, 1.f};
    out = std::move(e);
    return Error::none();
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, file.name() + ": out of memory building the synth engine");
  }
}

Error SynthEngine::load(const std::string& path, int max_voices, std::unique_ptr<SynthEngine>& out) noexcept {
  ModelFile file;
  if (Error e = ModelFile::load(path, file)) return e;
  return fromFile(file, max_voices, out);
}

Error SynthEngine::prepare(double sample_rate, int max_block, int lookahead_frames) noexcept {
  prepared_ = false;
  if (!(sample_rate == static_cast<double>(cfg_.sample_rate)))
    return make_error(ErrorCode::kInvalidArgument,
                      "SynthEngine: sample rate " + std::to_string(sample_rate) +
                          " Hz is not supported; this model runs at " + std::to_string(cfg_.sample_rate) +
                          " Hz (resample on the host side)");
  if (max_block < 1) return make_error(ErrorCode::kInvalidArgument, "SynthEngine: max_block must be >= 1");
  if (lookahead_frames < -1 || lookahead_frames > 1)
    return make_error(ErrorCode::kInvalidArgument, "SynthEngine: lookahead_frames must be -1 (auto), 0 or 1");
  try {
    hop_ = static_cast<int>(cfg_.hop);
    lookahead_ = lookahead_frames < 0 ? (max_block < hop_ ? 1 : 0) : lookahead_frames;
    groups_ = lookahead_ ? std::min(kMaxGroups, max_voices_) : 1;
    const int per = (max_voices_ + groups_ - 1) / groups_;
    for (int g = 0; g <= groups_; ++g) group_start_[g] = std::min(max_voices_, g * per);
    for (int g = 0; g < groups_; ++g) group_due_[g] = g * hop_ / groups_;
    if (Error e = net_.prepare(max_voices_)) return e;
    voices_.assign(max_voices_, Voice());
    for (int i = 0; i < max_voices_; ++i) voices_[i].prepare(cfg_, i);
    rvoices_.clear();
    staged_.clear();
    if (lookahead_) {
      rvoices_.assign(max_voices_, Voice());
      for (int i = 0; i < max_voices_; ++i) rvoices_[i].prepare(cfg_, i);
      staged_.resize(max_voices_);
    }
    f0_.assign(max_voices_, 0.f);
    ld_.assign(max_voices_, 0.f);
    raw_.assign(static_cast<size_t>(max_voices_) * net_.numOutputs(), 0.f);
    pending_.assign(kMaxPending, EngineEvent());
  } catch (...) {
    return make_error(ErrorCode::kTooLarge, "SynthEngine: out of memory in prepare");
  }
  limiter_.prepare(cfg_.sample_rate);
  gain_coef_ = static_cast<float>(1.0 - std::exp(-1.0 / (0.02 * cfg_.sample_rate)));  // 20 ms
  max_block_ = max_block;
  prepared_ = true;
  for (int i = 0; i < pidx(Param::kCount); ++i) applyParam(static_cast<Param>(i), params_[i]);
  gain_ = gain_target_;
  reset();
  return Error::none();
}

void SynthEngine::reset() noexcept {
  if (!prepared_) return;
  for (auto& v : voices_) v.clear();
  for (size_t i = 0; i < rvoices_.size(); ++i) {
    rvoices_[i].clear();
    voices_[i].saveControl(staged_[i]);
  }
  groups_done_ = groups_;  // nothing staged
  first_frame_ = true;
  net_.reset();
  limiter_.reset();
  parser_.reset();
  n_pending_ = 0;
  pos_ = hop_;
  bend_ = 0.f;
  sustain_ = false;
  applyParam(Param::kModWheel, 0.f);  // controllers back to rest
  applyParam(Param::kExpression, 1.f);
  lfo_phase_ = 0.0;
  n_held_ = 0;
  age_counter_ = start_counter_ = 0;
  gain_ = gain_target_;
  st_active_.store(0, std::memory_order_relaxed);
}

// ---- producer side (any thread) -------------------------------------------------------

bool SynthEngine::enqueue(const EngineEvent& e) noexcept {
  if (queue_ && queue_->push(e)) return true;
  st_dropped_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

bool SynthEngine::pushMidi(const uint8_t* bytes, int len, int sample_offset) noexcept {
  if (!bytes || len <= 0) return true;
  bool ok = true;
  EngineEvent e;
  e.kind = EngineEvent::kMidi;
  e.offset = std::max(0, sample_offset);
  for (int i = 0; i < len; i += static_cast<int>(sizeof e.bytes)) {
    const int c = std::min<int>(len - i, sizeof e.bytes);
    e.len = static_cast<uint8_t>(c);
    std::memcpy(e.bytes, bytes + i, c);
    ok = enqueue(e) && ok;
  }
  return ok;
}

bool SynthEngine::setParam(Param id, float value, int sample_offset) noexcept {
  if (static_cast<int>(id) < 0 || id >= Param::kCount) return false;
  EngineEvent e;
  e.kind = EngineEvent::kParam;
  e.id = static_cast<int32_t>(id);
  e.value = value;
  e.offset = std::max(0, sample_offset);
  return enqueue(e);
}

bool SynthEngine::mapCC(int cc, Param target, float min, float max) noexcept {
  if (cc < 0 || cc > 127) return false;
  EngineEvent e;
  e.kind = EngineEvent::kCCMap;
  e.id = cc;
  e.target = (static_cast<int>(target) < 0 || target >= Param::kCount) ? -1 : static_cast<int>(target);
  e.value = min;
  e.value2 = max;
  return enqueue(e);
}

bool SynthEngine::requestReset() noexcept {
  EngineEvent e;
  e.kind = EngineEvent::kReset;
  return enqueue(e);
}

bool SynthEngine::requestAllNotesOff() noexcept {
  EngineEvent e;
  e.kind = EngineEvent::kAllNotesOff;
  return enqueue(e);
}

EngineStats SynthEngine::stats() const noexcept {
  EngineStats s;
  s.active_voices = st_active_.load(std::memory_order_relaxed);
  s.events_dropped = st_dropped_.load(std::memory_order_relaxed);
  s.midi_events = st_midi_.load(std::memory_order_relaxed);
  s.notes_stolen = st_stolen_.load(std::memory_order_relaxed);
  s.last_peak = st_peak_.load(std::memory_order_relaxed);
  s.limiter_gain = st_lgain_.load(std::memory_order_relaxed);
  return s;
}

float SynthEngine::param(Param id) const noexcept {
  if (static_cast<int>(id) < 0 || id >= Param::kCount) return 0.f;
  return shown_params_[static_cast<int>(id)].load(std::memory_order_relaxed);
}

float SynthEngine::velocityToLoudnessDb(int velocity) const noexcept {
  const float v = std::clamp(velocity, 1, 127);
  const float x = (v - 1.f) / 126.f * 2.f - 1.f;  // −1..1
  const float sens = params_[pidx(Param::kVelocitySensitivity)];
  float ld = cfg_.loudness_mean + 1.5f * cfg_.loudness_std * sens * x;
  return std::clamp(ld, cfg_.loudness_min_db, cfg_.loudness_max_db);
}

// ---- audio thread ---------------------------------------------------------------------

void SynthEngine::drainQueue() noexcept {
  EngineEvent e;
  while (queue_->pop(e)) {
    if (n_pending_ >= kMaxPending) {
      st_dropped_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    // Stable insertion by offset (events usually arrive in order: O(1)).
    int i = n_pending_;
    while (i > 0 && pending_[i - 1].offset > e.offset) {
      pending_[i] = pending_[i - 1];
      --i;
    }
    pending_[i] = e;
    ++n_pending_;
  }
}

void SynthEngine::applyDueEvents(int position) noexcept {
  int k = 0;
  while (k < n_pending_ && pending_[k].offset <= position) applyEvent(pending_[k++]);
  if (k == 0) return;
  for (int i = k; i < n_pending_; ++i) pending_[i - k] = pending_[i];
  n_pending_ -= k;
}

void SynthEngine::applyEvent(const EngineEvent& e) noexcept {
  switch (e.kind) {
    case EngineEvent::kMidi: {
      MidiEvent m;
      for (int i = 0; i < e.len && i < static_cast<int>(sizeof e.bytes); ++i)
        if (parser_.feed(e.bytes[i], m)) {
          handleMidi(m);
          if (parser_.pendingRpn(m)) handleMidi(m);  // RPN 0: bend range
        }
      break;
    }
    case EngineEvent::kParam:
      if (e.id >= 0 && e.id < pidx(Param::kCount)) applyParam(static_cast<Param>(e.id), e.value);
      break;
    case EngineEvent::kCCMap:
      if (e.id >= 0 && e.id < 128) {
        const bool finite = std::isfinite(e.value) && std::isfinite(e.value2);
        cc_map_[e.id] = {finite ? e.target : -1, e.value, e.value2};
      }
      break;
    case EngineEvent::kReset: {
      for (auto& v : voices_) v.clear();
      net_.reset();
      limiter_.reset();
      parser_.reset();
      resetControllers();
      n_held_ = 0;
      break;
    }
    case EngineEvent::kAllNotesOff:
      allNotesOff();
      break;
    default:
      break;
  }
}

void SynthEngine::handleMidi(const MidiEvent& m) noexcept {
  st_midi_.fetch_add(1, std::memory_order_relaxed);
  switch (m.type) {
    case MidiType::kNoteOn: noteOn(m.data1, m.data2); break;
    case MidiType::kNoteOff: noteOff(m.data1); break;
    case MidiType::kPitchBend: bend_ = std::clamp(m.bend / 8192.f, -1.f, 1.f); break;
    case MidiType::kBendRange: applyParam(Param::kBendRangeSemitones, m.bend / 100.f); break;
    case MidiType::kControlChange:
      switch (m.data1) {
        case 64: sustainPedal(m.data2 >= 64); break;
        case 120: allSoundOff(); break;
        case 121: resetControllers(); break;
        case 123: case 124: case 125: case 126: case 127: allNotesOff(); break;
        default: {
          const CCMap& c = cc_map_[m.data1 & 0x7F];
          if (c.target >= 0) applyParam(static_cast<Param>(c.target), c.min + (c.max - c.min) * (m.data2 / 127.f));
        }
      }
      break;
    default: break;  // pressure, program change: not used by a DDSP model
  }
}

void SynthEngine::applyParam(Param id, float value) noexcept {
  const int i = pidx(id);
  if (i < 0 || i >= pidx(Param::kCount)) return;
  const ParamInfo& info = paramInfo(id);
  if (!std::isfinite(value)) return;  // ignore NaN/Inf
  float hi = info.max;
  if (id == Param::kPolyphony) hi = static_cast<float>(max_voices_);
  value = std::clamp(value, info.min, hi);
  if (id == Param::kPolyphony || id == Param::kLegato) value = std::round(value);
  const float old = params_[i];
  params_[i] = value;
  shown_params_[i].store(value, std::memory_order_relaxed);
  if (!prepared_) return;
  switch (id) {
    case Param::kAttackS: case Param::kDecayS: case Param::kSustain: case Param::kReleaseS: {
      AdsrSettings s{params_[pidx(Param::kAttackS)], params_[pidx(Param::kDecayS)],
                     params_[pidx(Param::kSustain)], params_[pidx(Param::kReleaseS)]};
      for (auto& v : voices_) v.env.set(s);
      break;
    }
    case Param::kOutputGainDb: gain_target_ = std::pow(10.f, value / 20.f); break;
    case Param::kLimiterCeilingDb: limiter_.setCeilingDb(value); break;
    case Param::kLegato:
      if (value != old) {  // mode change: let everything sounding go
        for (auto& v : voices_) releaseVoice(v);
        n_held_ = 0;
      }
      break;
    case Param::kPolyphony:
      for (int k = usableVoices(); k < max_voices_; ++k) releaseVoice(voices_[k]);
      break;
    default: break;
  }
}

int SynthEngine::usableVoices() const noexcept {
  if (params_[pidx(Param::kLegato)] >= 0.5f) return 1;
  return std::clamp(static_cast<int>(params_[pidx(Param::kPolyphony)]), 1, max_voices_);
}

void SynthEngine::releaseVoice(Voice& v) noexcept {
  if (v.state == Voice::State::kPlaying) {
    v.env.noteOff();
    v.key_down = v.sustained = false;
  }
  if (v.pending_note >= 0) v.pending_released = true;
}

void SynthEngine::startVoice(int slot, int note, int velocity) noexcept {
  Voice& v = voices_[slot];
  const uint64_t seed = 0x5EEDull * (slot + 1) + 0x9E3779B97F4A7C15ull * (++start_counter_);
  v.start(note, velocity, velocityToLoudnessDb(velocity), ++age_counter_, seed);
  net_.resetVoice(slot);
}

void SynthEngine::noteOn(int note, int velocity) noexcept {
  note &= 0x7F;
  if (params_[pidx(Param::kLegato)] >= 0.5f) {
    // Note stack, last-note priority.
    int j = 0;
    for (int i = 0; i < n_held_; ++i)
      if (held_[i] != note) { held_[j] = held_[i]; held_vel_[j] = held_vel_[i]; ++j; }
    n_held_ = j;
    if (n_held_ < 128) { held_[n_held_] = note; held_vel_[n_held_] = velocity; ++n_held_; }
    Voice& v = voices_[0];
    if (v.state == Voice::State::kPlaying && (v.key_down || v.sustained) && !v.env.releasing()) {
      v.note = note;  // legato: glide, no new attack
      v.target_pitch = note;
      v.key_down = true;
      v.sustained = false;
    } else if (v.state == Voice::State::kPlaying) {
      v.retrigger(note, velocity, velocityToLoudnessDb(velocity), ++age_counter_);  // glides from where it is
    } else if (v.state == Voice::State::kFading) {
      v.pending_note = note;
      v.pending_velocity = velocity;
      v.pending_released = false;
    } else {
      startVoice(0, note, velocity);
    }
    return;
  }
  const int usable = usableVoices();
  const VoiceChoice c = VoiceAllocator::choose(voices_.data(), usable, note);
  Voice& v = voices_[c.slot];
  switch (c.kind) {
    case VoiceChoice::Kind::kRetrigger:
      v.retrigger(note, velocity, velocityToLoudnessDb(velocity), ++age_counter_);
      break;
    case VoiceChoice::Kind::kStart:
      startVoice(c.slot, note, velocity);
      break;
    case VoiceChoice::Kind::kSteal:
      st_stolen_.fetch_add(1, std::memory_order_relaxed);
      v.beginFade(hop_);
      v.key_down = v.sustained = false;
      v.age = ++age_counter_;
      v.pending_note = note;
      v.pending_velocity = velocity;
      v.pending_released = false;
      break;
    case VoiceChoice::Kind::kReplacePending:
      st_stolen_.fetch_add(1, std::memory_order_relaxed);
      v.age = ++age_counter_;
      v.pending_note = note;
      v.pending_velocity = velocity;
      v.pending_released = false;
      break;
  }
}

void SynthEngine::noteOff(int note) noexcept {
  note &= 0x7F;
  if (params_[pidx(Param::kLegato)] >= 0.5f) {
    int j = 0;
    for (int i = 0; i < n_held_; ++i)
      if (held_[i] != note) { held_[j] = held_[i]; held_vel_[j] = held_vel_[i]; ++j; }
    n_held_ = j;
    Voice& v = voices_[0];
    if (v.pending_note == note) v.pending_released = !sustain_;
    if (v.state != Voice::State::kPlaying || v.note != note || !v.key_down) return;
    if (n_held_ > 0) {  // back to the last key still down
      v.note = held_[n_held_ - 1];
      v.target_pitch = v.note;
    } else if (sustain_) {
      v.key_down = false;
      v.sustained = true;
    } else {
      releaseVoice(v);
    }
    return;
  }
  for (auto& v : voices_) {
    if (v.state == Voice::State::kPlaying && v.note == note && v.key_down) {
      if (sustain_) {
        v.key_down = false;
        v.sustained = true;
      } else {
        releaseVoice(v);
      }
    }
    if (v.pending_note == note && !sustain_) v.pending_released = true;
  }
}

void SynthEngine::sustainPedal(bool down) noexcept {
  if (down == sustain_) return;
  sustain_ = down;
  if (down) return;
  for (auto& v : voices_)
    if (v.state == Voice::State::kPlaying && v.sustained) releaseVoice(v);
}

void SynthEngine::allNotesOff() noexcept {
  for (auto& v : voices_) releaseVoice(v);
  n_held_ = 0;
}

void SynthEngine::allSoundOff() noexcept {
  for (auto& v : voices_) {
    v.beginFade(hop_ / 2);
    v.pending_note = -1;
  }
  n_held_ = 0;
}

void SynthEngine::resetControllers() noexcept {
  bend_ = 0.f;
  applyParam(Param::kModWheel, 0.f);
  applyParam(Param::kExpression, 1.f);
  sustainPedal(false);
}

int SynthEngine::frameControls() noexcept {
  const double sr = cfg_.sample_rate;
  const bool legato = params_[pidx(Param::kLegato)] >= 0.5f;
  const float glide_s = params_[pidx(Param::kGlideS)];
  const double glide = legato && glide_s > 0.f ? 1.0 - std::exp(-hop_ / (glide_s * sr)) : 1.0;
  const double vib_cents = params_[pidx(Param::kVibratoDepthCents)] * params_[pidx(Param::kModWheel)] *
                           std::sin(kTwoPi * lfo_phase_);
  lfo_phase_ += params_[pidx(Param::kVibratoRateHz)] * hop_ / sr;
  lfo_phase_ -= std::floor(lfo_phase_);
  const double pitch_offset = params_[pidx(Param::kTransposeSemitones)] +
                              bend_ * params_[pidx(Param::kBendRangeSemitones)] + vib_cents / 100.0;
  const float expr = params_[pidx(Param::kExpression)];
  const float ld_offset = params_[pidx(Param::kLoudnessOffsetDb)] + 40.f * (expr - 1.f);
  const float nyquist = 0.5f * static_cast<float>(sr);

  int batch = 0;
  for (int i = 0; i < max_voices_; ++i) {
    Voice& v = voices_[i];
    if (v.state == Voice::State::kIdle && v.pending_note >= 0) {  // a steal's fade is over
      const bool released = v.pending_released;
      startVoice(i, v.pending_note, v.pending_velocity);
      if (released) releaseVoice(v);
    }
    if (v.state == Voice::State::kIdle) {
      f0_[i] = cfg_.f0_min_hz;
      ld_[i] = cfg_.loudness_min_db;
      continue;
    }
    v.pitch += (v.target_pitch - v.pitch) * glide;
    const double semis = v.pitch + pitch_offset;
    float f0 = static_cast<float>(440.0 * std::exp2((semis - 69.0) / 12.0));
    if (!std::isfinite(f0)) f0 = 440.f;
    f0_[i] = std::clamp(f0, 0.f, nyquist);
    const float env = std::max(v.env.value(), 1e-5f);
    float ld = v.note_loudness_db + ld_offset + 20.f * std::log10(env);
    ld_[i] = std::clamp(ld, cfg_.loudness_min_db, cfg_.loudness_max_db);
    batch = i + 1;
  }
  return batch;
}

void SynthEngine::beginFrame() noexcept {
  const int batch = frameControls();
  if (batch == 0) return;
  net_.step(f0_.data(), ld_.data(), raw_.data(), batch);
  const int n_out = net_.numOutputs();
  const float sr = static_cast<float>(cfg_.sample_rate);
  for (int i = 0; i < batch; ++i) {
    Voice& v = voices_[i];
    if (v.state == Voice::State::kIdle) continue;
    v.beginFrame(f0_[i], raw_.data() + static_cast<size_t>(i) * n_out, sr);
  }
}

// Lookahead. The control voices (voices_) run one frame ahead of the render voices: at the
// boundary of frame k the controls of frame k+1 are computed from the events due by now, and
// their network step is spread over frame k's blocks, group by group. The result is the
// lookahead-free engine's output for the same events delayed by one hop, sample for sample
// (tested), whatever the block size.
void SynthEngine::lookaheadAdvance() noexcept {
  runGroupsBefore(hop_ + 1);  // whatever the blocks of the last frame left undone
  const int n_out = net_.numOutputs();
  const float sr = static_cast<float>(cfg_.sample_rate);
  for (int i = 0; i < max_voices_; ++i) {
    Voice& r = rvoices_[i];
    r.loadControl(staged_[i]);
    if (r.state != Voice::State::kIdle) r.beginFrame(f0_[i], raw_.data() + static_cast<size_t>(i) * n_out, sr);
  }
  for (auto& v : voices_) v.advanceControl(hop_);  // the frame the render voices are about to play
  // The first boundary after reset stands for two: the frame now starting had no controls
  // staged (silence), and the per-frame state (vibrato LFO) advances as it would have.
  if (first_frame_) {
    frameControls();
    first_frame_ = false;
  }
}

void SynthEngine::lookaheadStage() noexcept {
  frameControls();
  for (int i = 0; i < max_voices_; ++i) voices_[i].saveControl(staged_[i]);
  for (int g = 0; g < groups_; ++g) {
    int b = 0;
    for (int i = group_start_[g]; i < group_start_[g + 1]; ++i)
      if (voices_[i].state != Voice::State::kIdle) b = i - group_start_[g] + 1;
    group_batch_[g] = b;
  }
  groups_done_ = 0;
}

void SynthEngine::runGroupsBefore(int pos) noexcept {
  const int n_out = net_.numOutputs();
  while (groups_done_ < groups_ && group_due_[groups_done_] < pos) {
    const int g = groups_done_++;
    const int s = group_start_[g];
    if (group_batch_[g] > 0)
      net_.stepGroup(s, f0_.data() + s, ld_.data() + s, raw_.data() + static_cast<size_t>(s) * n_out, group_batch_[g]);
  }
}

void SynthEngine::process(const float* /*in*/, float* out, int n) noexcept {
  if (n <= 0 || !out) return;
  if (!prepared_) {
    std::fill(out, out + n, 0.f);
    return;
  }
  DenormalGuard guard;
  drainQueue();
  float peak = 0.f;
  int done = 0;
  while (done < n) {
    if (pos_ >= hop_) {
      if (lookahead_) {
        lookaheadAdvance();
        applyDueEvents(done);
        lookaheadStage();
      } else {
        applyDueEvents(done);
        beginFrame();
      }
      pos_ = 0;
    }
    const int chunk = std::min(n - done, hop_ - pos_);
    if (lookahead_) runGroupsBefore(pos_ + chunk);
    float* mix = out + done;
    std::fill(mix, mix + chunk, 0.f);
    for (auto& v : lookahead_ ? rvoices_ : voices_)
      if (v.state != Voice::State::kIdle) v.renderAdd(mix, chunk);
    for (int i = 0; i < chunk; ++i) {
      gain_ += (gain_target_ - gain_) * gain_coef_;
      mix[i] *= gain_;
    }
    limiter_.process(mix, chunk);
    for (int i = 0; i < chunk; ++i) peak = std::max(peak, std::fabs(mix[i]));
    pos_ += chunk;
    done += chunk;
  }
  for (int i = 0; i < n_pending_; ++i) pending_[i].offset = std::max(pending_[i].offset - n, -1);
  int active = 0;
  for (const auto& v : lookahead_ ? rvoices_ : voices_) active += v.state != Voice::State::kIdle;
  st_active_.store(active, std::memory_order_relaxed);
  st_peak_.store(peak, std::memory_order_relaxed);
  st_lgain_.store(limiter_.gain(), std::memory_order_relaxed);
}

}  // namespace rt_synth::synth
