/* A minimal CLAP host for the tests of the rt-synth CLAP plugins (plugins/dpf), written on the
 * CLAP headers that Debian's dpf-source ships (/usr/share/dpf/distrho/src/clap):
 * entry -> factory -> plugin -> init -> params/latency extensions -> activate -> process.
 *
 *   clap_host PLUGIN.clap RATE BLOCK N_SAMPLES EVENTS IN_RAW OUT_RAW [INDEX=VALUE ...]
 *
 * EVENTS: one MIDI message a line, "SAMPLE BYTE BYTE BYTE" (decimal), or "-". Note on/off go
 * to the plugin as CLAP note events (velocity / 127), the rest as CLAP MIDI events, each at
 * its frame in its block. IN_RAW: float32 stereo planar input (effect) or "-". INDEX=VALUE:
 * parameter values sent as CLAP param-value events at frame 0 of the first block.
 * OUT_RAW: float32 planar, channel 0 then channel 1.
 * Prints "param: ID|NAME|MIN|MAX|DEFAULT" for every parameter, "latency: N" after activate,
 * "latency changed notifications: N" (host latency extension calls) and "allocations in
 * process: N": malloc & co. are counted while process() runs (this file
 * defines them over glibc's __libc_* functions, so the plugin's calls land here). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clap/entry.h"
#include "clap/events.h"
#include "clap/ext/latency.h"
#include "clap/ext/params.h"
#include "clap/ext/state.h"
#include "clap/plugin-factory.h"
#include "clap/plugin.h"
#include "clap/process.h"

/* ---- allocation counter ---- */
extern void* __libc_malloc(size_t);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
extern void* __libc_memalign(size_t, size_t);
extern void __libc_free(void*);
static volatile int g_counting;
static volatile long g_allocs;
static inline void count(void) {
  if (g_counting) __atomic_add_fetch(&g_allocs, 1, __ATOMIC_RELAXED);
}
void* malloc(size_t n) { count(); return __libc_malloc(n); }
void* calloc(size_t a, size_t b) { count(); return __libc_calloc(a, b); }
void* realloc(void* p, size_t n) { count(); return __libc_realloc(p, n); }
void free(void* p) { __libc_free(p); }
void* memalign(size_t a, size_t n) { count(); return __libc_memalign(a, n); }
void* aligned_alloc(size_t a, size_t n) { count(); return __libc_memalign(a, n); }
int posix_memalign(void** p, size_t a, size_t n) {
  count();
  *p = __libc_memalign(a, n);
  return *p ? 0 : 12;
}

/* ---- host: latency and params extensions (DPF's wrapper calls both) ---- */
static int g_latency_changed;
static void host_latency_changed(const clap_host_t* h) { (void)h; ++g_latency_changed; }
static const clap_host_latency_t kHostLatency = {host_latency_changed};
static void host_params_rescan(const clap_host_t* h, clap_param_rescan_flags f) { (void)h; (void)f; }
static void host_params_clear(const clap_host_t* h, clap_id id, clap_param_clear_flags f) { (void)h; (void)id; (void)f; }
static void host_params_request_flush(const clap_host_t* h) { (void)h; }
static const clap_host_params_t kHostParams = {host_params_rescan, host_params_clear, host_params_request_flush};
static const void* host_get_extension(const clap_host_t* h, const char* id) {
  (void)h;
  if (!strcmp(id, CLAP_EXT_LATENCY)) return &kHostLatency;
  if (!strcmp(id, CLAP_EXT_PARAMS)) return &kHostParams;
  return NULL;
}
static void host_noop(const clap_host_t* h) { (void)h; }
static const clap_host_t kHost = {CLAP_VERSION, NULL, "rt-synth clap_host", "rt-synth", "", "0.1",
                                  host_get_extension, host_noop, host_noop, host_noop};

/* ---- input event list: a union per event, the block's slice ---- */
typedef union {
  clap_event_header_t header;
  clap_event_note_t note;
  clap_event_midi_t midi;
  clap_event_param_value_t param;
} Event;
typedef struct {
  Event* ev;
  uint32_t n;
} EventList;
static uint32_t list_size(const clap_input_events_t* l) { return ((const EventList*)l->ctx)->n; }
static const clap_event_header_t* list_get(const clap_input_events_t* l, uint32_t i) {
  return &((const EventList*)l->ctx)->ev[i].header;
}
static bool out_push(const clap_output_events_t* l, const clap_event_header_t* e) { (void)l; (void)e; return true; }

typedef struct {
  long t;
  uint8_t b[3];
} Midi;

/* ---- state streams over a FILE* ---- */
static int64_t stream_read(const clap_istream_t* s, void* buf, uint64_t size) {
  return (int64_t)fread(buf, 1, (size_t)size, (FILE*)s->ctx);
}
static int64_t stream_write(const clap_ostream_t* s, const void* buf, uint64_t size) {
  return (int64_t)fwrite(buf, 1, (size_t)size, (FILE*)s->ctx);
}
static int state_file(const clap_plugin_t* plugin, const char* arg, int load) {
  const clap_plugin_state_t* st = (const clap_plugin_state_t*)plugin->get_extension(plugin, CLAP_EXT_STATE);
  FILE* f = fopen(arg, load ? "rb" : "wb");
  int ok;
  if (!st || !f) { fprintf(stderr, "no state extension or cannot open %s\n", arg); return 0; }
  if (load) {
    const clap_istream_t is = {f, stream_read};
    ok = st->load(plugin, &is);
  } else {
    const clap_ostream_t os = {f, stream_write};
    ok = st->save(plugin, &os);
  }
  fclose(f);
  return ok;
}

int main(int argc, char** argv) {
  if (argc < 8) {
    fprintf(stderr, "usage: clap_host PLUGIN.clap RATE BLOCK N EVENTS IN_RAW OUT_RAW [INDEX=VALUE ...]\n");
    return 2;
  }
  const char* path = argv[1];
  const double rate = atof(argv[2]);
  const uint32_t block = (uint32_t)atoi(argv[3]);
  const long n = atol(argv[4]);
  Midi* midi = calloc(65536, sizeof(Midi));
  long n_midi = 0;
  if (strcmp(argv[5], "-") != 0) {
    FILE* f = fopen(argv[5], "r");
    int a, b, c;
    long t;
    if (!f) { fprintf(stderr, "cannot open %s\n", argv[5]); return 2; }
    while (n_midi < 65536 && fscanf(f, "%ld %d %d %d", &t, &a, &b, &c) == 4) {
      midi[n_midi].t = t;
      midi[n_midi].b[0] = (uint8_t)a; midi[n_midi].b[1] = (uint8_t)b; midi[n_midi].b[2] = (uint8_t)c;
      ++n_midi;
    }
    fclose(f);
  }
  float* in = NULL;
  if (strcmp(argv[6], "-") != 0) {
    FILE* f = fopen(argv[6], "rb");
    in = calloc((size_t)n * 2, sizeof(float));
    if (!f || fread(in, sizeof(float), (size_t)n * 2, f) != (size_t)n * 2) { fprintf(stderr, "cannot read %s\n", argv[6]); return 2; }
    fclose(f);
  }

  void* lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 3; }
  const clap_plugin_entry_t* entry = (const clap_plugin_entry_t*)dlsym(lib, "clap_entry");
  if (!entry || !entry->init(path)) { fprintf(stderr, "no clap_entry or init failed\n"); return 3; }
  const clap_plugin_factory_t* factory = (const clap_plugin_factory_t*)entry->get_factory(CLAP_PLUGIN_FACTORY_ID);
  if (!factory || factory->get_plugin_count(factory) < 1) { fprintf(stderr, "no plugin factory\n"); return 3; }
  const clap_plugin_descriptor_t* desc = factory->get_plugin_descriptor(factory, 0);
  printf("id: %s\nname: %s\n", desc->id, desc->name);
  const clap_plugin_t* plugin = factory->create_plugin(factory, &kHost, desc->id);
  if (!plugin || !plugin->init(plugin)) { fprintf(stderr, "create/init failed\n"); return 3; }

  const clap_plugin_params_t* params = (const clap_plugin_params_t*)plugin->get_extension(plugin, CLAP_EXT_PARAMS);
  const clap_plugin_latency_t* latency = (const clap_plugin_latency_t*)plugin->get_extension(plugin, CLAP_EXT_LATENCY);
  if (!params || !latency) { fprintf(stderr, "params or latency extension missing\n"); return 4; }
  const uint32_t n_params = params->count(plugin);
  clap_id* ids = calloc(n_params + 1, sizeof(clap_id));
  for (uint32_t i = 0; i < n_params; ++i) {
    clap_param_info_t info;
    if (!params->get_info(plugin, i, &info)) return 4;
    ids[i] = info.id;
    printf("param: %u|%s|%g|%g|%g\n", info.id, info.name, info.min_value, info.max_value, info.default_value);
  }

  const char* save_to = NULL;
  for (int a = 8; a < argc; ++a) {
    if (!strncmp(argv[a], "load=", 5) && !state_file(plugin, argv[a] + 5, 1)) { fprintf(stderr, "state load failed\n"); return 4; }
    if (!strncmp(argv[a], "save=", 5)) save_to = argv[a] + 5;
  }
  g_counting = 1; /* activate allocates (prepare): proves the counter sees the plugin's calls */
  if (!plugin->activate(plugin, rate, 1, block)) { fprintf(stderr, "activate failed\n"); return 5; }
  g_counting = 0;
  printf("allocations in activate: %ld\n", g_allocs);
  g_allocs = 0;
  printf("latency: %u\n", latency->get(plugin));
  plugin->start_processing(plugin);

  Event* evbuf = calloc(65536 + (size_t)argc, sizeof(Event));
  EventList list = {evbuf, 0};
  const clap_input_events_t in_events = {&list, list_size, list_get};
  const clap_output_events_t out_events = {NULL, out_push};
  float* out = calloc((size_t)n * 2, sizeof(float));
  float *inb[2], *outb[2];
  clap_audio_buffer_t ain = {inb, NULL, 2, 0, 0}, aout = {outb, NULL, 2, 0, 0};
  long k = 0;
  for (long start = 0; start < n; start += block) {
    const uint32_t len = (uint32_t)(n - start < block ? n - start : block);
    list.n = 0;
    if (start == 0) {
      for (int a = 8; a < argc; ++a) {
        unsigned idx;
        if (!strncmp(argv[a], "load=", 5) || !strncmp(argv[a], "save=", 5) || !strncmp(argv[a], "rerate=", 7)) continue;
        double v;
        if (sscanf(argv[a], "%u=%lf", &idx, &v) != 2 || idx >= n_params) { fprintf(stderr, "bad %s\n", argv[a]); return 2; }
        Event* e = &evbuf[list.n++];
        memset(e, 0, sizeof *e);
        e->param.header = (clap_event_header_t){sizeof(clap_event_param_value_t), 0, CLAP_CORE_EVENT_SPACE_ID,
                                                CLAP_EVENT_PARAM_VALUE, 0};
        e->param.param_id = ids[idx];
        e->param.note_id = -1; e->param.port_index = -1; e->param.channel = -1; e->param.key = -1;
        e->param.value = v;
      }
    }
    for (; k < n_midi && midi[k].t < start + len; ++k) {
      Event* e = &evbuf[list.n++];
      const uint8_t st = midi[k].b[0] & 0xF0;
      const uint32_t t = (uint32_t)(midi[k].t < start ? 0 : midi[k].t - start);
      memset(e, 0, sizeof *e);
      if (st == 0x90 || st == 0x80) {
        const int on = st == 0x90 && midi[k].b[2] > 0;
        e->note.header = (clap_event_header_t){sizeof(clap_event_note_t), t, CLAP_CORE_EVENT_SPACE_ID,
                                               (uint16_t)(on ? CLAP_EVENT_NOTE_ON : CLAP_EVENT_NOTE_OFF), 0};
        e->note.note_id = -1; e->note.port_index = 0; e->note.channel = midi[k].b[0] & 0x0F;
        e->note.key = midi[k].b[1]; e->note.velocity = midi[k].b[2] / 127.0;
      } else {
        e->midi.header = (clap_event_header_t){sizeof(clap_event_midi_t), t, CLAP_CORE_EVENT_SPACE_ID, CLAP_EVENT_MIDI, 0};
        e->midi.port_index = 0;
        memcpy(e->midi.data, midi[k].b, 3);
      }
    }
    for (int c = 0; c < 2; ++c) {
      inb[c] = in ? in + (size_t)c * n + start : out + (size_t)c * n + start; /* instrument: no input read */
      outb[c] = out + (size_t)c * n + start;
    }
    clap_process_t proc = {(int64_t)start, len, NULL, in ? &ain : NULL, &aout, in ? 1u : 0u, 1, &in_events, &out_events};
    g_counting = 1;
    const clap_process_status st = plugin->process(plugin, &proc);
    g_counting = 0;
    if (st == CLAP_PROCESS_ERROR) { fprintf(stderr, "process error\n"); return 6; }
  }
  printf("allocations in process: %ld\n", g_allocs);
  if (save_to && !state_file(plugin, save_to, 0)) { fprintf(stderr, "state save failed\n"); return 4; }
  plugin->stop_processing(plugin);
  plugin->deactivate(plugin);
  for (int a = 8; a < argc; ++a) {
    if (strncmp(argv[a], "rerate=", 7) != 0) continue;
    if (!plugin->activate(plugin, atof(argv[a] + 7), 1, block)) { fprintf(stderr, "re-activate failed\n"); return 5; }
    printf("latency after rerate: %u\n", latency->get(plugin));
    plugin->start_processing(plugin);
    list.n = 0;
    for (int c = 0; c < 2; ++c) {
      inb[c] = in ? in + (size_t)c * n : out + (size_t)c * n;
      outb[c] = out + (size_t)c * n;
    }
    clap_process_t proc = {0, block < n ? block : (uint32_t)n, NULL, in ? &ain : NULL, &aout, in ? 1u : 0u, 1,
                           &in_events, &out_events};
    if (plugin->process(plugin, &proc) == CLAP_PROCESS_ERROR) { fprintf(stderr, "process error\n"); return 6; }
    plugin->stop_processing(plugin);
    plugin->deactivate(plugin);
  }
  printf("latency changed notifications: %d\n", g_latency_changed);
  plugin->destroy(plugin);
  entry->deinit();
  FILE* f = fopen(argv[7], "wb");
  if (!f || fwrite(out, sizeof(float), (size_t)n * 2, f) != (size_t)n * 2) { fprintf(stderr, "cannot write %s\n", argv[7]); return 2; }
  fclose(f);
  dlclose(lib);
  return 0;
}
