/* embed_c: a minimal C host of the rt-synth C ABI (docs/embedding.md).
 *
 *   embed_c MODEL.rtsynth OUT.wav [SAMPLE_RATE [BLOCK]]
 *
 * Loads the model (from memory, the way a plugin that embeds its model would), prints its
 * metadata, renders a short note sequence through the synth method with the MIDI stamped
 * at sample offsets inside each block, writes a 32-bit float mono WAV and prints the
 * latency. Exit status 0 on success, 1 with the library's error message otherwise. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_synth.h"

typedef struct {
  long time;          /* sample at the host rate */
  uint8_t bytes[3];
} Event;

static int write_wav(const char* path, const float* x, long n, int rate) {
  FILE* f = fopen(path, "wb");
  uint32_t u32;
  uint16_t u16;
  if (!f) return 0;
#define W32(v) (u32 = (uint32_t)(v), fwrite(&u32, 4, 1, f))
#define W16(v) (u16 = (uint16_t)(v), fwrite(&u16, 2, 1, f))
  fwrite("RIFF", 1, 4, f); W32(4 + 26 + 12 + 8 + 4 * n);
  fwrite("WAVE", 1, 4, f);
  fwrite("fmt ", 1, 4, f); W32(18); W16(3); W16(1); W32(rate); W32(4 * rate); W16(4); W16(32); W16(0);
  fwrite("fact", 1, 4, f); W32(4); W32(n);
  fwrite("data", 1, 4, f); W32(4 * n);
  fwrite(x, 4, (size_t)n, f);
#undef W32
#undef W16
  return fclose(f) == 0;
}

static unsigned char* read_file(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  unsigned char* buf;
  long len;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return NULL;
  }
  buf = (unsigned char*)malloc(len > 0 ? (size_t)len : 1);
  if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *size = (size_t)len;
  return buf;
}

int main(int argc, char** argv) {
  const char* model_path;
  const char* out_path;
  double rate = 48000.0;
  int block = 256, i, k;
  size_t size = 0;
  unsigned char* data;
  rt_synth_options opt;
  rt_synth_handle* h = NULL;
  rt_synth_status st;
  rt_synth_method_info mi;
  float* audio;
  float* out_ptr[1];
  long n_total, start;
  Event events[8];
  int n_events = 0;
  const int notes[4] = {60, 64, 67, 72};

  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL.rtsynth OUT.wav [SAMPLE_RATE [BLOCK]]\n", argv[0]);
    return 2;
  }
  model_path = argv[1];
  out_path = argv[2];
  if (argc > 3) rate = atof(argv[3]);
  if (argc > 4) block = atoi(argv[4]);

  if (rt_synth_abi_version() != RT_SYNTH_ABI_VERSION) {
    fprintf(stderr, "error: library ABI %u, header ABI %d\n", (unsigned)rt_synth_abi_version(), RT_SYNTH_ABI_VERSION);
    return 1;
  }
  data = read_file(model_path, &size);
  if (!data) {
    fprintf(stderr, "error: cannot read %s\n", model_path);
    return 1;
  }
  rt_synth_options_init(&opt);
  opt.method = RT_SYNTH_METHOD_SYNTH;
  opt.max_voices = 4;
  st = rt_synth_open_memory(data, size, model_path, &opt, &h);
  free(data); /* the library keeps its own copy */
  if (st != RT_SYNTH_OK) {
    fprintf(stderr, "error: %s (%s)\n", rt_synth_last_error(), rt_synth_status_string(st));
    return 1;
  }
  printf("rt-synth %s, ABI %u\n", rt_synth_version(), (unsigned)rt_synth_abi_version());
  printf("model: %s, kind %s, %d Hz, hop %d\n", rt_synth_name(h), rt_synth_kind(h),
         (int)rt_synth_model_sample_rate(h), (int)rt_synth_hop(h));
  for (i = 0; i < rt_synth_method_count(h); ++i)
    if (rt_synth_get_method_info(h, i, &mi) == RT_SYNTH_OK)
      printf("method %s: in %d ch (ratio %d), out %d ch (ratio %d), latency %d\n", mi.name, (int)mi.in_channels,
             (int)mi.in_ratio, (int)mi.out_channels, (int)mi.out_ratio, (int)mi.latency);

  st = rt_synth_prepare(h, rate, block, 1);
  if (st != RT_SYNTH_OK) {
    fprintf(stderr, "error: %s\n", rt_synth_last_error());
    rt_synth_close(h);
    return 1;
  }
  rt_synth_set_param(h, rt_synth_find_param(h, "release_s"), 0.1f);

  /* Four notes, 0.25 s apart, each held 0.2 s. */
  for (k = 0; k < 4; ++k) {
    Event on = {0, {0x90, 0, 100}}, off = {0, {0x80, 0, 0}};
    on.time = (long)(rate * (0.05 + 0.25 * k));
    on.bytes[1] = (uint8_t)notes[k];
    off.time = on.time + (long)(rate * 0.2);
    off.bytes[1] = (uint8_t)notes[k];
    events[n_events++] = on;
    events[n_events++] = off;
  }
  n_total = (long)(rate * 1.3);
  audio = (float*)calloc((size_t)n_total, sizeof(float));
  if (!audio) return 1;
  k = 0;
  for (start = 0; start < n_total; start += block) {
    int n = (int)(n_total - start < block ? n_total - start : block);
    while (k < n_events && events[k].time < start + n) {
      rt_synth_send_midi(h, events[k].bytes, 3, (int32_t)(events[k].time - start));
      ++k;
    }
    out_ptr[0] = audio + start;
    if (rt_synth_process(h, NULL, out_ptr, n) != RT_SYNTH_OK) {
      fprintf(stderr, "error: process failed\n");
      return 1;
    }
  }
  if (!write_wav(out_path, audio, n_total, (int)rate)) {
    fprintf(stderr, "error: cannot write %s\n", out_path);
    return 1;
  }
  printf("wrote %s: %ld samples at %d Hz\n", out_path, n_total, (int)rate);
  printf("latency: %d samples (%.3f ms)\n", (int)rt_synth_latency(h), 1000.0 * rt_synth_latency_seconds(h));
  free(audio);
  rt_synth_close(h);
  return 0;
}
