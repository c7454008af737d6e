/* rt-synth LV2 plugins over the C ABI (csrc/capi/rt_synth.h): one bundle per model.
 *
 *   RT_SYNTH_LV2_URI "#instrument"  MIDI in (atom sequence) -> polyphonic synth -> audio out
 *   RT_SYNTH_LV2_URI "#effect"      audio in -> timbre transfer -> audio out
 *
 * The model is the bundle's model.rtsynth, loaded in instantiate() (not a real-time call in
 * LV2). A model that fails to load is reported through the host's log (LV2 log:log) or, with
 * no log feature, on stderr; the instance then outputs silence (returning NULL would crash
 * hosts that do not check, lv2apply among them). The latency (host samples, from rt_synth_latency) is written to the lv2:latency
 * output port on every run. run() calls only [RT]/[ANY] functions of the C ABI: no allocation,
 * no lock. MIDI needs urid:map (optional, so that simple hosts such as lv2apply can run the
 * effect; without it the instrument ignores its MIDI port). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lv2/atom/atom.h"
#include "lv2/atom/util.h"
#include "lv2/core/lv2.h"
#include "lv2/log/log.h"
#include "lv2/midi/midi.h"
#include "lv2/urid/urid.h"
#include "rt_synth.h"

#ifndef RT_SYNTH_LV2_URI
#define RT_SYNTH_LV2_URI "urn:rt-synth:lv2:rt-synth"
#endif
#define URI_INSTRUMENT RT_SYNTH_LV2_URI "#instrument"
#define URI_EFFECT RT_SYNTH_LV2_URI "#effect"

#define MAX_CONTROLS 8

/* Port layout.  Instrument: 0 MIDI in (atom), 1 out L, 2 out R, 3 latency, 4.. controls.
 *               Effect:     0 audio in, 1 audio out, 2 latency, 3.. controls.
 * The controls map to the C ABI parameters named below (same order as in the .ttl). */
static const char* const kInstrumentControls[] = {"output_gain_db", "attack_s", "decay_s", "sustain",
                                                  "release_s", "glide_s", "vibrato_depth_cents", "bend_range_semitones"};
static const char* const kEffectControls[] = {"pitch_shift_semitones", "input_gain_db", "loudness_offset_db", "dry",
                                              "wet", "gate_threshold_db"};

typedef struct {
  rt_synth_handle* h;
  bool instrument;
  const LV2_Atom_Sequence* midi;
  const float* in;
  float* out[2];
  float* latency;
  const float* controls[MAX_CONTROLS];
  int32_t control_ids[MAX_CONTROLS];
  float last[MAX_CONTROLS];
  int n_controls;
  LV2_URID midi_event; /* 0 without urid:map */
} Plugin;

static LV2_Handle instantiate(const LV2_Descriptor* d, double rate, const char* bundle_path,
                              const LV2_Feature* const* features) {
  LV2_URID_Map* map = NULL;
  LV2_Log_Log* log = NULL;
  char path[4096];
  rt_synth_options opt;
  rt_synth_status st;
  Plugin* p;
  int i;
  const bool instrument = strcmp(d->URI, URI_INSTRUMENT) == 0;
  for (i = 0; features && features[i]; ++i) {
    if (!strcmp(features[i]->URI, LV2_URID__map)) map = (LV2_URID_Map*)features[i]->data;
    else if (!strcmp(features[i]->URI, LV2_LOG__log)) log = (LV2_Log_Log*)features[i]->data;
  }
  p = (Plugin*)calloc(1, sizeof(Plugin));
  if (!p) return NULL;
  p->instrument = instrument;
  snprintf(path, sizeof path, "%s%smodel.rtsynth", bundle_path ? bundle_path : "",
           bundle_path && bundle_path[0] && bundle_path[strlen(bundle_path) - 1] != '/' ? "/" : "");
  rt_synth_options_init(&opt);
  opt.method = instrument ? RT_SYNTH_METHOD_SYNTH : RT_SYNTH_METHOD_TRANSFER;
  opt.max_voices = 8;
  st = rt_synth_open_file(path, &opt, &p->h);
  if (st == RT_SYNTH_OK) st = rt_synth_prepare(p->h, rate, 4096, instrument ? 2 : 1);
  if (st != RT_SYNTH_OK) {
    if (log && map)
      log->printf(log->handle, map->map(map->handle, LV2_LOG__Error), "rt-synth: cannot load %s: %s\n", path,
                  rt_synth_last_error());
    else
      fprintf(stderr, "rt-synth: cannot load %s: %s\n", path, rt_synth_last_error());
    /* Keep an instance that outputs silence rather than return NULL: some hosts (lv2apply
     * among them) do not check for a failed instantiation and would crash. */
    rt_synth_close(p->h);
    p->h = NULL;
    return (LV2_Handle)p;
  }
  if (map) p->midi_event = map->map(map->handle, LV2_MIDI__MidiEvent);
  p->n_controls = instrument ? (int)(sizeof kInstrumentControls / sizeof *kInstrumentControls)
                             : (int)(sizeof kEffectControls / sizeof *kEffectControls);
  for (i = 0; i < p->n_controls; ++i) {
    p->control_ids[i] = rt_synth_find_param(p->h, instrument ? kInstrumentControls[i] : kEffectControls[i]);
    p->last[i] = -1e30f; /* applied at the first run */
  }
  return (LV2_Handle)p;
}

static void connect_port(LV2_Handle instance, uint32_t port, void* data) {
  Plugin* p = (Plugin*)instance;
  const uint32_t lat = p->instrument ? 3 : 2;
  if (port == 0) {
    if (p->instrument) p->midi = (const LV2_Atom_Sequence*)data;
    else p->in = (const float*)data;
  } else if (port == 1) {
    p->out[0] = (float*)data;
  } else if (port == 2 && p->instrument) {
    p->out[1] = (float*)data;
  } else if (port == lat) {
    p->latency = (float*)data;
  } else if (port > lat && port <= lat + (uint32_t)p->n_controls) {
    p->controls[port - lat - 1] = (const float*)data;
  }
}

static void activate(LV2_Handle instance) {
  Plugin* p = (Plugin*)instance;
  if (p->h) rt_synth_reset(p->h);
}

static void run(LV2_Handle instance, uint32_t n) {
  Plugin* p = (Plugin*)instance;
  int i;
  if (!p->out[0] || (p->instrument && !p->out[1])) return;
  if (!p->h) { /* the model failed to load (reported at instantiation): silence */
    memset(p->out[0], 0, sizeof(float) * n);
    if (p->instrument) memset(p->out[1], 0, sizeof(float) * n);
    if (p->latency) *p->latency = 0.f;
    return;
  }
  for (i = 0; i < p->n_controls; ++i) {
    if (p->controls[i] && p->control_ids[i] >= 0 && *p->controls[i] != p->last[i]) {
      p->last[i] = *p->controls[i];
      rt_synth_set_param(p->h, p->control_ids[i], p->last[i]);
    }
  }
  if (p->instrument) {
    /* Each MIDI event is queued with its frame in this block as the sample offset. */
    if (p->midi && p->midi_event) {
      LV2_ATOM_SEQUENCE_FOREACH(p->midi, ev) {
        if (ev->body.type == p->midi_event && ev->body.size > 0) {
          const int64_t t = ev->time.frames;
          rt_synth_send_midi(p->h, (const uint8_t*)LV2_ATOM_BODY_CONST(&ev->body), (int32_t)ev->body.size,
                             (int32_t)(t < 0 ? 0 : (t > (int64_t)n ? (int64_t)n : t)));
        }
      }
    }
    rt_synth_process(p->h, NULL, p->out, (int32_t)n);
  } else {
    const float* ins[1];
    ins[0] = p->in;
    rt_synth_process(p->h, p->in ? ins : NULL, p->out, (int32_t)n);
  }
  if (p->latency) *p->latency = (float)rt_synth_latency(p->h);
}

static void cleanup(LV2_Handle instance) {
  Plugin* p = (Plugin*)instance;
  rt_synth_close(p->h);
  free(p);
}

static const void* extension_data(const char* uri) {
  (void)uri;
  return NULL;
}

static const LV2_Descriptor kDescriptors[2] = {
    {URI_INSTRUMENT, instantiate, connect_port, activate, run, NULL, cleanup, extension_data},
    {URI_EFFECT, instantiate, connect_port, activate, run, NULL, cleanup, extension_data},
};

LV2_SYMBOL_EXPORT const LV2_Descriptor* lv2_descriptor(uint32_t index) {
  return index < 2 ? &kDescriptors[index] : NULL;
}
