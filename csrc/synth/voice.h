// Voice: one sounding note of the synth engine. It owns the per-voice half of a DDSP model
// (oscillator bank, filtered noise, its noise stream, its slot in the batched network's GRU
// state), the ADSR, the glide state and a steal fade. The network itself is shared by all
// voices and stepped once per frame for the whole bank (SynthEngine).
#pragma once
#include <cstdint>
#include <vector>

#include "dsp/counter_noise.h"
#include "dsp/filtered_noise.h"
#include "dsp/harmonic_oscillator.h"
#include "kinds/ddsp/ddsp_config.h"
#include "synth/adsr.h"

namespace rt_synth::synth {

// Below this envelope value the voice's output is also scaled linearly (gate = env / knee),
// so a voice starts and ends on exact silence whatever the model does at low loudness.
constexpr float kGateKnee = 0.05f;

class Voice {
 public:
  enum class State : uint8_t { kIdle, kPlaying, kFading };

  void prepare(const DDSPConfig& cfg, int slot);  // allocates

  // Silence now (engine reset).
  void clear() noexcept;
  // Starts `note` from silence: DSP state zeroed, fresh noise stream (the caller resets the
  // voice's GRU state). Real-time safe.
  void start(int note, int velocity, float note_loudness_db, uint64_t age, uint64_t noise_seed) noexcept;
  // Re-attacks a sounding voice on a new note without resetting the model (legato re-trigger).
  void retrigger(int note, int velocity, float note_loudness_db, uint64_t age) noexcept;
  // Fades out over `samples` samples, then frees the slot (steal / all-sound-off).
  void beginFade(int samples) noexcept;

  // Frame-boundary work once the network has produced raw outputs for this voice.
  void beginFrame(float f0_hz, const float* raw, float sample_rate) noexcept;
  // Renders n ≤ remaining-in-frame samples, applies envelope/gate/fade, adds into mix.
  void renderAdd(float* mix, int n) noexcept;

  State state = State::kIdle;
  int note = -1;
  int velocity = 0;
  uint64_t age = 0;       // note-on order (larger = newer)
  bool key_down = false;  // the key is held
  bool sustained = false; // key released while the sustain pedal was down
  double pitch = 60.0;    // current pitch, MIDI semitones (glides)
  double target_pitch = 60.0;
  float note_loudness_db = -40.f;
  int pending_note = -1, pending_velocity = 0;  // note to start once a steal fade ends
  bool pending_released = false;                // its key went up before it could start
  Adsr env;

  float level() const noexcept { return env.value() * fade_; }

  // Lookahead mode (SynthEngine, lookahead_frames = 1): a "control" voice runs one frame ahead
  // of the "render" voice that makes the sound. The control voice takes the events and is
  // advanced with advanceControl() (the envelope / fade / end-of-note logic of renderAdd
  // without the audio); at each frame boundary its state is staged (saveControl) and the
  // render voice takes it one frame later (loadControl), with the oscillator / noise resets
  // that start() and clear() made on the control side.
  struct ControlState {
    State state;
    int note, velocity, pending_note, pending_velocity;
    bool key_down, sustained, pending_released;
    uint64_t age, seed;
    uint32_t epoch, seed_epoch;
    double pitch, target_pitch;
    float note_loudness_db, fade, fade_step;
    Adsr env;
  };
  void saveControl(ControlState& c) const noexcept;
  void loadControl(const ControlState& c) noexcept;
  void advanceControl(int n) noexcept;

 private:
  int k_ = 0, b_ = 0, hop_ = 0;
  dsp::HarmonicOscillator osc_;
  dsp::FilteredNoise noise_;
  dsp::CounterNoise gen_;
  std::vector<float> amps_, mags_, frame_noise_, buf_;
  float fade_ = 1.f, fade_step_ = 0.f;
  uint64_t seed_ = 0;
  uint32_t epoch_ = 0, seed_epoch_ = 0;  // bumped by start()/clear(), by start()
};

}  // namespace rt_synth::synth
