/* rt_synth~ : Pure Data external over the rt-synth C ABI (csrc/capi/rt_synth.h).
 *
 *   [rt_synth~ MODEL.rtsynth [VOICES]]
 *   left inlet:  signal (timbre-transfer input, used in `mode transfer`) and messages:
 *                note PITCH VELOCITY (velocity 0 = off) | bend -1..1 | cc NUMBER VALUE
 *                set PARAM VALUE | reset | load PATH | mode synth|transfer | params
 *   left outlet: signal
 *   right outlet: loaded LATENCY_SAMPLES NAME | error MESSAGE | param NAME MIN MAX DEFAULT
 *
 * Loading never runs in the DSP path: a worker thread opens and prepares the new model, the
 * Pd thread publishes it in an atomic slot, the perform routine swaps it in with one atomic
 * exchange at the top of a block and hands the old one back through another atomic slot; a
 * clock on the Pd thread closes it. A failed load (corrupt file, wrong version) prints the
 * library's message in the Pd console and keeps the previous model playing.
 * Any Pd block size works (the C ABI accepts any n). Parameters set with `set` are remembered
 * and re-applied to every model loaded later. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m_pd.h"
#include "rt_synth.h"

#define MAX_REMEMBERED 64
#define POLL_MS 2.0

static t_class* rt_synth_tilde_class;

typedef struct {
  t_symbol* name;
  float value;
} remembered_param;

typedef struct {
  /* inputs, written by the Pd thread before the worker starts */
  char path[1024];
  int voices, method, block;
  double sr;
  /* outputs, read by the Pd thread after `done` */
  rt_synth_handle* handle;
  char error[1200];
  atomic_int done;
} load_job;

typedef struct {
  t_object obj;
  t_float f; /* signal inlet scalar */
  t_outlet* info;
  t_canvas* canvas;
  t_clock* poll;

  _Atomic(rt_synth_handle*) active;  /* owned by perform */
  _Atomic(rt_synth_handle*) pending; /* published by the Pd thread, taken by perform */
  _Atomic(rt_synth_handle*) retired; /* given back by perform, closed by the Pd thread */
  atomic_int reset_requested;

  load_job job;
  pthread_t worker;
  int job_running;
  t_symbol* next_path; /* a load asked for while another was running */

  int voices, method;
  double sr;
  int block;
  t_symbol* path;
  remembered_param params[MAX_REMEMBERED];
  int n_params;
} t_rt_synth_tilde;

/* ---- worker thread: open + prepare (allocates, reads the file) ------------------------- */
static void* load_worker(void* arg) {
  load_job* job = (load_job*)arg;
  rt_synth_options opt;
  rt_synth_handle* h = NULL;
  rt_synth_status st;
  rt_synth_options_init(&opt);
  opt.method = job->method;
  opt.max_voices = job->voices;
  job->handle = NULL;
  job->error[0] = 0;
  st = rt_synth_open_file(job->path, &opt, &h);
  if (st == RT_SYNTH_OK) st = rt_synth_prepare(h, job->sr, job->block, 1);
  if (st != RT_SYNTH_OK) {
    snprintf(job->error, sizeof job->error, "%s", rt_synth_last_error()); /* this thread's message */
    rt_synth_close(h);
    h = NULL;
  }
  job->handle = h;
  atomic_store(&job->done, 1);
  return NULL;
}

static rt_synth_handle* current_handle(t_rt_synth_tilde* x) {
  rt_synth_handle* p = atomic_load(&x->pending);
  return p ? p : atomic_load(&x->active);
}

static void apply_params(t_rt_synth_tilde* x, rt_synth_handle* h) {
  int i;
  for (i = 0; i < x->n_params; ++i) {
    int32_t id = rt_synth_find_param(h, x->params[i].name->s_name);
    if (id >= 0) rt_synth_set_param(h, id, x->params[i].value);
  }
}

static void start_load(t_rt_synth_tilde* x, t_symbol* path);

static void poll_tick(t_rt_synth_tilde* x) {
  rt_synth_handle* old = atomic_exchange(&x->retired, NULL);
  int keep_polling = 0;
  if (old) rt_synth_close(old);
  if (x->job_running) {
    if (atomic_load(&x->job.done)) {
      pthread_join(x->worker, NULL);
      x->job_running = 0;
      if (x->job.handle) {
        rt_synth_handle* h = x->job.handle;
        t_atom a[2];
        apply_params(x, h);
        /* Publish. A model published earlier and not yet taken is replaced (closed here:
         * perform never saw it). */
        old = atomic_exchange(&x->pending, h);
        if (old) rt_synth_close(old);
        if (!canvas_dspstate) { /* DSP off: perform is not running, swap here */
          rt_synth_handle* p = atomic_exchange(&x->pending, NULL);
          old = atomic_exchange(&x->active, p);
          if (old) rt_synth_close(old);
        }
        post("rt_synth~: loaded %s (%s, %d Hz model, latency %d samples at %g Hz)", x->job.path, rt_synth_name(h),
             (int)rt_synth_model_sample_rate(h), (int)rt_synth_latency(h), x->job.sr);
        SETFLOAT(a, (t_float)rt_synth_latency(h));
        SETSYMBOL(a + 1, gensym(rt_synth_name(h)));
        outlet_anything(x->info, gensym("loaded"), 2, a);
      } else {
        t_atom a;
        pd_error(x, "rt_synth~: cannot load %s: %s", x->job.path, x->job.error);
        SETSYMBOL(&a, gensym(x->job.error));
        outlet_anything(x->info, gensym("error"), 1, &a);
      }
      if (x->next_path) {
        t_symbol* p = x->next_path;
        x->next_path = NULL;
        start_load(x, p);
      }
    }
  }
  if (x->job_running || atomic_load(&x->pending) || atomic_load(&x->retired)) keep_polling = 1;
  if (keep_polling) clock_delay(x->poll, POLL_MS);
}

static void start_load(t_rt_synth_tilde* x, t_symbol* path) {
  char dir_path[1024];
  const char* p = path->s_name;
  if (x->job_running) {
    x->next_path = path; /* the newest request wins */
    return;
  }
  if (p[0] != '/' && x->canvas) {
    snprintf(dir_path, sizeof dir_path, "%s/%s", canvas_getdir(x->canvas)->s_name, p);
    p = dir_path;
  }
  x->path = path;
  snprintf(x->job.path, sizeof x->job.path, "%s", p);
  x->job.voices = x->voices;
  x->job.method = x->method;
  x->job.sr = x->sr > 0 ? x->sr : (sys_getsr() > 0 ? sys_getsr() : 48000);
  x->job.block = x->block > 0 ? x->block : 64;
  x->job.handle = NULL;
  atomic_store(&x->job.done, 0);
  if (pthread_create(&x->worker, NULL, load_worker, &x->job) != 0) {
    pd_error(x, "rt_synth~: cannot start the loader thread");
    return;
  }
  x->job_running = 1;
  clock_delay(x->poll, POLL_MS);
}

/* ---- DSP ----------------------------------------------------------------------------- */
static t_int* rt_synth_tilde_perform(t_int* w) {
  t_rt_synth_tilde* x = (t_rt_synth_tilde*)(w[1]);
  t_sample* in = (t_sample*)(w[2]);
  t_sample* out = (t_sample*)(w[3]);
  int n = (int)(w[4]);
  rt_synth_handle* h;
  rt_synth_handle* p = atomic_load_explicit(&x->pending, memory_order_acquire) ? atomic_exchange(&x->pending, NULL) : NULL;
  if (p) {
    rt_synth_handle* old = atomic_exchange(&x->active, p);
    if (old) {
      /* the slot is empty unless the Pd thread has not collected the previous one yet;
       * then keep the old one active a little longer rather than leak or block */
      rt_synth_handle* expected = NULL;
      if (!atomic_compare_exchange_strong(&x->retired, &expected, old)) {
        atomic_store(&x->active, old);
        atomic_store(&x->pending, p);
      }
    }
  }
  h = atomic_load_explicit(&x->active, memory_order_acquire);
  if (!h) {
    memset(out, 0, sizeof(t_sample) * (size_t)n);
    return w + 5;
  }
  if (atomic_exchange(&x->reset_requested, 0)) rt_synth_reset(h);
  {
    const float* ins[1];
    float* outs[1];
    ins[0] = in;
    outs[0] = out;
    if (rt_synth_process(h, ins, outs, n) != RT_SYNTH_OK) memset(out, 0, sizeof(t_sample) * (size_t)n);
  }
  return w + 5;
}

static void rt_synth_tilde_dsp(t_rt_synth_tilde* x, t_signal** sp) {
  const double sr = sp[0]->s_sr;
  const int n = sp[0]->s_n;
  if (sr != x->sr || n > x->block) {
    /* The DSP graph is being rebuilt on the Pd thread (not in the audio path): re-prepare
     * the loaded models for the new rate / block size. */
    rt_synth_handle* hs[2];
    int i;
    x->sr = sr;
    x->block = n > 64 ? n : 64;
    hs[0] = atomic_load(&x->active);
    hs[1] = atomic_load(&x->pending);
    for (i = 0; i < 2; ++i)
      if (hs[i] && rt_synth_prepare(hs[i], x->sr, x->block, 1) != RT_SYNTH_OK)
        pd_error(x, "rt_synth~: prepare at %g Hz failed: %s", sr, rt_synth_last_error());
  }
  /* Pd may give the same buffer for in and out: the core reads each input chunk before it
   * writes that chunk of output (TimbreTransfer: in == out allowed), so aliasing is fine. */
  dsp_add(rt_synth_tilde_perform, 4, x, sp[0]->s_vec, sp[1]->s_vec, (t_int)n);
}

/* ---- messages ------------------------------------------------------------------------ */
static void send3(t_rt_synth_tilde* x, int a, int b, int c) {
  rt_synth_handle* h = current_handle(x);
  uint8_t m[3];
  m[0] = (uint8_t)a;
  m[1] = (uint8_t)(b & 127);
  m[2] = (uint8_t)(c & 127);
  if (!h) return;
  if (rt_synth_send_midi(h, m, 3, 0) == RT_SYNTH_ERR_UNSUPPORTED)
    pd_error(x, "rt_synth~: notes need `mode synth` (this model runs timbre transfer)");
}

static void rt_synth_tilde_note(t_rt_synth_tilde* x, t_floatarg pitch, t_floatarg vel) {
  const int p = (int)pitch, v = (int)vel;
  if (p < 0 || p > 127) return;
  if (v > 0) send3(x, 0x90, p, v > 127 ? 127 : v);
  else send3(x, 0x80, p, 0);
}

static void rt_synth_tilde_bend(t_rt_synth_tilde* x, t_floatarg f) {
  double v = f < -1 ? -1 : (f > 1 ? 1 : f);
  int b = (int)lround(v * 8192.0) + 8192;
  if (b > 16383) b = 16383;
  if (b < 0) b = 0;
  send3(x, 0xE0, b & 127, (b >> 7) & 127);
}

static void rt_synth_tilde_cc(t_rt_synth_tilde* x, t_floatarg num, t_floatarg val) {
  send3(x, 0xB0, (int)num, (int)val);
}

static void rt_synth_tilde_set(t_rt_synth_tilde* x, t_symbol* name, t_floatarg value) {
  rt_synth_handle* h = current_handle(x);
  int i;
  for (i = 0; i < x->n_params && x->params[i].name != name; ++i) {
  }
  if (i == x->n_params && x->n_params < MAX_REMEMBERED) x->params[x->n_params++].name = name;
  if (i < MAX_REMEMBERED) x->params[i].value = value;
  if (h) {
    int32_t id = rt_synth_find_param(h, name->s_name);
    if (id < 0) pd_error(x, "rt_synth~: unknown parameter '%s' (send `params` to list them)", name->s_name);
    else rt_synth_set_param(h, id, value);
  }
}

static void rt_synth_tilde_params(t_rt_synth_tilde* x) {
  rt_synth_handle* h = current_handle(x);
  int i;
  if (!h) return;
  for (i = 0; i < rt_synth_param_count(h); ++i) {
    rt_synth_param_info pi;
    t_atom a[4];
    if (rt_synth_get_param_info(h, i, &pi) != RT_SYNTH_OK) continue;
    SETSYMBOL(a, gensym(pi.name));
    SETFLOAT(a + 1, pi.min);
    SETFLOAT(a + 2, pi.max);
    SETFLOAT(a + 3, pi.def);
    outlet_anything(x->info, gensym("param"), 4, a);
  }
}

static void rt_synth_tilde_reset(t_rt_synth_tilde* x) { atomic_store(&x->reset_requested, 1); }

static void rt_synth_tilde_load(t_rt_synth_tilde* x, t_symbol* path) {
  if (!path || !*path->s_name) {
    pd_error(x, "rt_synth~: load needs a model path");
    return;
  }
  start_load(x, path);
}

static void rt_synth_tilde_mode(t_rt_synth_tilde* x, t_symbol* m) {
  int method;
  if (!strcmp(m->s_name, "synth")) method = RT_SYNTH_METHOD_SYNTH;
  else if (!strcmp(m->s_name, "transfer")) method = RT_SYNTH_METHOD_TRANSFER;
  else {
    pd_error(x, "rt_synth~: mode must be synth or transfer");
    return;
  }
  if (method == x->method) return;
  x->method = method;
  if (x->path) start_load(x, x->path);
}

/* ---- life cycle ---------------------------------------------------------------------- */
static void* rt_synth_tilde_new(t_symbol* s, int argc, t_atom* argv) {
  t_rt_synth_tilde* x = (t_rt_synth_tilde*)pd_new(rt_synth_tilde_class);
  (void)s;
  outlet_new(&x->obj, &s_signal);
  x->info = outlet_new(&x->obj, 0);
  x->canvas = canvas_getcurrent();
  x->poll = clock_new(x, (t_method)poll_tick);
  atomic_init(&x->active, NULL);
  atomic_init(&x->pending, NULL);
  atomic_init(&x->retired, NULL);
  atomic_init(&x->reset_requested, 0);
  atomic_init(&x->job.done, 0);
  x->voices = 8;
  x->method = RT_SYNTH_METHOD_SYNTH;
  x->sr = 0;
  x->block = 0;
  if (argc >= 2 && argv[1].a_type == A_FLOAT) {
    x->voices = (int)atom_getfloat(argv + 1);
    if (x->voices < 1 || x->voices > 32) {
      pd_error(x, "rt_synth~: voice count must be in 1..32, using 8");
      x->voices = 8;
    }
  }
  if (argc >= 3 && argv[2].a_type == A_SYMBOL && !strcmp(argv[2].a_w.w_symbol->s_name, "transfer"))
    x->method = RT_SYNTH_METHOD_TRANSFER;
  if (rt_synth_abi_version() != RT_SYNTH_ABI_VERSION)
    pd_error(x, "rt_synth~: library ABI %u differs from the header's %d", (unsigned)rt_synth_abi_version(),
             RT_SYNTH_ABI_VERSION);
  if (argc >= 1 && argv[0].a_type == A_SYMBOL) start_load(x, argv[0].a_w.w_symbol);
  return x;
}

static void rt_synth_tilde_free(t_rt_synth_tilde* x) {
  rt_synth_handle* h;
  if (x->job_running) {
    pthread_join(x->worker, NULL);
    rt_synth_close(x->job.handle);
  }
  clock_free(x->poll);
  /* DSP for this object has been removed by now: perform no longer runs */
  if ((h = atomic_exchange(&x->active, NULL))) rt_synth_close(h);
  if ((h = atomic_exchange(&x->pending, NULL))) rt_synth_close(h);
  if ((h = atomic_exchange(&x->retired, NULL))) rt_synth_close(h);
}

#if defined(__GNUC__)
__attribute__((visibility("default")))
#endif
void rt_synth_tilde_setup(void) {
  rt_synth_tilde_class = class_new(gensym("rt_synth~"), (t_newmethod)rt_synth_tilde_new,
                                   (t_method)rt_synth_tilde_free, sizeof(t_rt_synth_tilde), CLASS_DEFAULT, A_GIMME, 0);
  CLASS_MAINSIGNALIN(rt_synth_tilde_class, t_rt_synth_tilde, f);
  class_addmethod(rt_synth_tilde_class, (t_method)rt_synth_tilde_dsp, gensym("dsp"), A_CANT, 0);
  class_addmethod(rt_synth_tilde_class, (t_method)rt_synth_tilde_note, gensym("note"), A_FLOAT, A_DEFFLOAT, 0);
  class_addmethod(rt_synth_tilde_class, (t_method)rt_synth_tilde_bend, gensym("bend"), A_FLOAT, 0);
  class_addmethod(rt_synth_tilde_class, (t_method)rt_synth_tilde_cc, gensym("cc"), A_FLOAT, A_FLOAT, 0);
  class_addmethod(rt_synth_tilde_class, (t_method)rt_synth_tilde_set, gensym("set"), A_SYMBOL, A_FLOAT, 0);
  class_addmethod(rt_synth_tilde_class, (t_method)rt_synth_tilde_reset, gensym("reset"), 0);
  class_addmethod(rt_synth_tilde_class, (t_method)rt_synth_tilde_load, gensym("load"), A_SYMBOL, 0);
  class_addmethod(rt_synth_tilde_class, (t_method)rt_synth_tilde_mode, gensym("mode"), A_SYMBOL, 0);
  class_addmethod(rt_synth_tilde_class, (t_method)rt_synth_tilde_params, gensym("params"), 0);
  post("rt_synth~ %s (C ABI %u)", rt_synth_version(), (unsigned)rt_synth_abi_version());
}
