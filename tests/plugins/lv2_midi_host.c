/* A minimal LV2 host for the tests of the rt-synth instrument (lv2apply cannot send MIDI):
 * dlopens BUNDLE/rt_synth_lv2.so, provides urid:map and log:log, connects every port, sends
 * timed MIDI as an atom sequence block by block (each event stamped with its frame in the
 * block) and writes the left output as raw float32.
 *
 *   lv2_midi_host BUNDLE URI RATE BLOCK N_SAMPLES EVENTS_FILE OUT_RAW [PORT=VALUE ...]
 *
 * EVENTS_FILE: one event per line, "SAMPLE BYTE BYTE BYTE" (decimal). Prints "latency: N"
 * (the value the plugin wrote to its lv2:latency port). Log messages go to stderr as
 * "lv2 log: ...". */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lv2/atom/atom.h"
#include "lv2/core/lv2.h"
#include "lv2/log/log.h"
#include "lv2/midi/midi.h"
#include "lv2/urid/urid.h"

static char* uris[256];
static int n_uris;

static LV2_URID map_uri(LV2_URID_Map_Handle h, const char* uri) {
  int i;
  (void)h;
  for (i = 0; i < n_uris; ++i)
    if (!strcmp(uris[i], uri)) return (LV2_URID)(i + 1);
  uris[n_uris] = strdup(uri);
  return (LV2_URID)(++n_uris);
}

static int log_vprintf(LV2_Log_Handle h, LV2_URID type, const char* fmt, va_list ap) {
  (void)h;
  fprintf(stderr, "lv2 log (%s): ", type ? uris[type - 1] : "?");
  return vfprintf(stderr, fmt, ap);
}

static int log_printf(LV2_Log_Handle h, LV2_URID type, const char* fmt, ...) {
  va_list ap;
  int r;
  va_start(ap, fmt);
  r = log_vprintf(h, type, fmt, ap);
  va_end(ap);
  return r;
}

typedef struct {
  long t;
  uint8_t b[3];
} Ev;

int main(int argc, char** argv) {
  char so[4096], bundle[4096];
  void* lib;
  LV2_Descriptor_Function df;
  const LV2_Descriptor* d = NULL;
  LV2_URID_Map map = {NULL, map_uri};
  LV2_Log_Log log = {NULL, log_printf, log_vprintf};
  LV2_Feature fmap = {LV2_URID__map, &map}, flog = {LV2_LOG__log, &log};
  const LV2_Feature* features[3] = {&fmap, &flog, NULL};
  LV2_Handle inst;
  double rate;
  int block, i, n_ev = 0, k = 0;
  long n_total, start;
  Ev* ev;
  FILE* f;
  float *out_l, *out_r, latency = -1.f, controls[32];
  uint64_t seq_buf[1024];
  LV2_URID midi_type, seq_type;
  if (argc < 8) {
    fprintf(stderr, "usage: %s BUNDLE URI RATE BLOCK N EVENTS OUT [PORT=VALUE...]\n", argv[0]);
    return 2;
  }
  snprintf(bundle, sizeof bundle, "%s/", argv[1]);
  snprintf(so, sizeof so, "%s/rt_synth_lv2.so", argv[1]);
  rate = atof(argv[3]);
  block = atoi(argv[4]);
  n_total = atol(argv[5]);
  lib = dlopen(so, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 1;
  }
  df = (LV2_Descriptor_Function)dlsym(lib, "lv2_descriptor");
  for (i = 0; df && (d = df((uint32_t)i)); ++i)
    if (!strcmp(d->URI, argv[2])) break;
  if (!d) {
    fprintf(stderr, "no plugin %s in %s\n", argv[2], so);
    return 1;
  }
  ev = (Ev*)calloc(4096, sizeof(Ev));
  f = fopen(argv[6], "r");
  if (!f) return 1;
  while (n_ev < 4096) {
    int a, b, c;
    long t;
    if (fscanf(f, "%ld %d %d %d", &t, &a, &b, &c) != 4) break;
    ev[n_ev].t = t;
    ev[n_ev].b[0] = (uint8_t)a;
    ev[n_ev].b[1] = (uint8_t)b;
    ev[n_ev].b[2] = (uint8_t)c;
    ++n_ev;
  }
  fclose(f);
  inst = d->instantiate(d, rate, bundle, features);
  if (!inst) {
    fprintf(stderr, "instantiate failed\n");
    return 1;
  }
  midi_type = map_uri(NULL, LV2_MIDI__MidiEvent);
  seq_type = map_uri(NULL, LV2_ATOM__Sequence);
  out_l = (float*)calloc((size_t)n_total + (size_t)block, sizeof(float));
  out_r = (float*)calloc((size_t)block, sizeof(float));
  /* control defaults of rt_synth.ttl (instrument), overridable with PORT=VALUE */
  {
    const float defaults[8] = {0.f, 0.01f, 0.25f, 0.8f, 0.3f, 0.05f, 50.f, 2.f};
    for (i = 0; i < 8; ++i) controls[i] = defaults[i];
    for (i = 8; i < argc - 8 + 8 && i < 32; ++i) controls[i] = 0;
    for (i = 8; i < argc; ++i) {
      int port;
      float v;
      if (sscanf(argv[i], "%d=%f", &port, &v) == 2 && port >= 4 && port < 12) controls[port - 4] = v;
    }
  }
  d->connect_port(inst, 0, seq_buf);
  d->connect_port(inst, 3, &latency);
  for (i = 0; i < 8; ++i) d->connect_port(inst, (uint32_t)(4 + i), &controls[i]);
  if (d->activate) d->activate(inst);
  for (start = 0; start < n_total; start += block) {
    const int n = (int)(n_total - start < block ? n_total - start : block);
    LV2_Atom_Sequence* seq = (LV2_Atom_Sequence*)seq_buf;
    uint8_t* p = (uint8_t*)(seq + 1);
    seq->atom.type = seq_type;
    seq->body.unit = 0;
    seq->body.pad = 0;
    seq->atom.size = sizeof(LV2_Atom_Sequence_Body);
    while (k < n_ev && ev[k].t < start + n) {
      LV2_Atom_Event* e = (LV2_Atom_Event*)p;
      e->time.frames = ev[k].t - start;
      e->body.type = midi_type;
      e->body.size = 3;
      memcpy(e + 1, ev[k].b, 3);
      p += sizeof(LV2_Atom_Event) + 8; /* 3 bytes padded to 8 */
      seq->atom.size += (uint32_t)(sizeof(LV2_Atom_Event) + 8);
      ++k;
    }
    d->connect_port(inst, 1, out_l + start);
    d->connect_port(inst, 2, out_r);
    d->run(inst, (uint32_t)n);
  }
  printf("latency: %d\n", (int)latency);
  f = fopen(argv[7], "wb");
  if (!f || fwrite(out_l, sizeof(float), (size_t)n_total, f) != (size_t)n_total) return 1;
  fclose(f);
  if (d->deactivate) d->deactivate(inst);
  d->cleanup(inst);
  return 0;
}
