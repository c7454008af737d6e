/* model_slot.hpp — a loaded model handed to the audio thread without locks.
 *
 * LoadedModel: one C ABI handle, opened and prepared off the audio thread, with the ids of the
 * plugin's parameters in THIS model (looked up by name, -1 when the model lacks one).
 *
 * ModelSlot: three atomic pointers.
 *   publish()   [non-RT] puts a new model in `pending`; a pending model the audio thread never
 *               took is closed at once.
 *   acquire()   [RT] at the top of each block: takes `pending` if any, makes it `active` and
 *               hands the old active one to `retired` (only when `retired` is empty; otherwise it
 *               tries again next block). Returns the active model and whether it just changed.
 *   collect()   [non-RT] closes what the audio thread retired.
 *   active(), pending() [non-RT, audio stopped] the models, for re-preparing at a new rate.
 * One exchange per pointer; the audio thread never waits and never frees. */
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "rt_synth.h"

namespace rt_synth_dpf {

struct LoadedModel {
  rt_synth_handle* h = nullptr;
  std::vector<int32_t> ids;  /* plugin parameter index -> C ABI id in this model */
  int32_t latency = 0;       /* host samples, after prepare */
  ~LoadedModel() { rt_synth_close(h); }
};

class ModelSlot {
 public:
  ~ModelSlot() {
    delete pending_.exchange(nullptr);
    delete active_.exchange(nullptr);
    delete retired_.exchange(nullptr);
  }

  void publish(LoadedModel* m) { delete pending_.exchange(m, std::memory_order_acq_rel); }

  void set_active(LoadedModel* m) { delete active_.exchange(m, std::memory_order_acq_rel); }

  LoadedModel* acquire(bool* changed) {
    *changed = false;
    if (pending_.load(std::memory_order_acquire) && !retired_.load(std::memory_order_acquire)) {
      LoadedModel* p = pending_.exchange(nullptr, std::memory_order_acq_rel);
      if (p) {
        retired_.store(active_.exchange(p, std::memory_order_acq_rel), std::memory_order_release);
        *changed = true;
      }
    }
    return active_.load(std::memory_order_acquire);
  }

  void collect() { delete retired_.exchange(nullptr, std::memory_order_acq_rel); }

  LoadedModel* active() const { return active_.load(std::memory_order_acquire); }
  LoadedModel* pending() const { return pending_.load(std::memory_order_acquire); }

 private:
  std::atomic<LoadedModel*> pending_{nullptr};
  std::atomic<LoadedModel*> active_{nullptr};
  std::atomic<LoadedModel*> retired_{nullptr};
};

}  // namespace rt_synth_dpf
