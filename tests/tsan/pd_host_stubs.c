/* The few Pure Data API functions plugins/pd/rt_synth_tilde.c calls, so that the external's
 * own model-swap code can run without Pd under ThreadSanitizer (test_pd_swap.cpp). A class
 * records its methods by selector, a clock is a flag the driver's "Pd thread" polls, dsp_add
 * records the perform routine and its arguments for the driver's "audio thread". Messages
 * from post/pd_error go to stderr only when RT_SYNTH_PD_STUB_VERBOSE is set. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m_pd.h"
#include "pd_host_stubs.h"

t_pdinstance pd_maininstance;
t_symbol s_signal = {"signal", 0, 0};
int canvas_dspstate = 1; /* DSP on: perform runs on the audio thread, swaps go through the slots */

struct _class {
  size_t size;
  t_newmethod newmethod;
  t_method freemethod;
  int n_methods;
  struct {
    t_symbol* sel;
    t_method fn;
  } methods[32];
};

struct _clock {
  void* owner;
  t_method fn;
  int armed;
};

static t_class g_class;
static t_perfroutine g_perform;
static t_int g_perform_args[8];
static atomic_int g_loaded, g_errors;

#define N_SYMBOLS 256
static t_symbol g_symbols[N_SYMBOLS];
static char g_names[N_SYMBOLS][1100];
static int g_n_symbols;

t_symbol* gensym(const char* s) {
  int i;
  for (i = 0; i < g_n_symbols; ++i)
    if (!strcmp(g_names[i], s)) return &g_symbols[i];
  if (g_n_symbols == N_SYMBOLS) abort();
  snprintf(g_names[g_n_symbols], sizeof g_names[0], "%s", s);
  g_symbols[g_n_symbols].s_name = g_names[g_n_symbols];
  return &g_symbols[g_n_symbols++];
}

t_class* class_new(t_symbol* name, t_newmethod newmethod, t_method freemethod, size_t size, int flags, t_atomtype arg1, ...) {
  (void)name, (void)flags, (void)arg1;
  g_class.size = size;
  g_class.newmethod = newmethod;
  g_class.freemethod = freemethod;
  return &g_class;
}

void class_addmethod(t_class* c, t_method fn, t_symbol* sel, t_atomtype arg1, ...) {
  (void)arg1;
  if (c->n_methods == 32) abort();
  c->methods[c->n_methods].sel = sel;
  c->methods[c->n_methods].fn = fn;
  c->n_methods++;
}

void class_domainsignalin(t_class* c, int onset) { (void)c, (void)onset; }

t_pd* pd_new(t_class* cls) {
  t_pd* x = (t_pd*)calloc(1, cls->size);
  *x = cls;
  return x;
}

t_outlet* outlet_new(t_object* owner, t_symbol* s) {
  static int dummy;
  (void)owner, (void)s;
  return (t_outlet*)&dummy;
}

void outlet_anything(t_outlet* x, t_symbol* s, int argc, t_atom* argv) {
  (void)x, (void)argc, (void)argv;
  if (!strcmp(s->s_name, "loaded")) atomic_fetch_add(&g_loaded, 1);
  else if (!strcmp(s->s_name, "error")) atomic_fetch_add(&g_errors, 1);
}

#define N_CLOCKS 8
static t_clock* g_clocks[N_CLOCKS];

t_clock* clock_new(void* owner, t_method fn) {
  int i;
  t_clock* c = (t_clock*)calloc(1, sizeof(t_clock));
  c->owner = owner;
  c->fn = fn;
  for (i = 0; i < N_CLOCKS && g_clocks[i]; ++i) {
  }
  if (i == N_CLOCKS) abort();
  g_clocks[i] = c;
  return c;
}
void clock_delay(t_clock* x, double delaytime) {
  (void)delaytime;
  x->armed = 1;
}
void clock_free(t_clock* x) {
  int i;
  for (i = 0; i < N_CLOCKS; ++i)
    if (g_clocks[i] == x) g_clocks[i] = NULL;
  free(x);
}

t_glist* canvas_getcurrent(void) { return NULL; }
t_symbol* canvas_getdir(const t_glist* x) {
  (void)x;
  return gensym(".");
}
t_float sys_getsr(void) { return 48000; }
t_float atom_getfloat(const t_atom* a) { return a->a_type == A_FLOAT ? a->a_w.w_float : 0; }

void dsp_add(t_perfroutine f, int n, ...) {
  va_list ap;
  int i;
  g_perform = f;
  g_perform_args[0] = (t_int)f;
  va_start(ap, n);
  for (i = 1; i <= n && i < 8; ++i) g_perform_args[i] = va_arg(ap, t_int);
  va_end(ap);
}

static void vlog(const char* prefix, const char* fmt, va_list ap) {
  if (!getenv("RT_SYNTH_PD_STUB_VERBOSE")) return;
  fputs(prefix, stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
}
void post(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog("", fmt, ap);
  va_end(ap);
}
void pd_error(const void* object, const char* fmt, ...) {
  va_list ap;
  (void)object;
  va_start(ap, fmt);
  vlog("error: ", fmt, ap);
  va_end(ap);
}

/* ---- driver side --------------------------------------------------------------------- */
t_method stub_method(const char* sel) {
  int i;
  for (i = 0; i < g_class.n_methods; ++i)
    if (!strcmp(g_class.methods[i].sel->s_name, sel)) return g_class.methods[i].fn;
  fprintf(stderr, "pd stub: no method '%s'\n", sel);
  abort();
}
t_newmethod stub_newmethod(void) { return g_class.newmethod; }
t_method stub_freemethod(void) { return g_class.freemethod; }
t_int* stub_perform_args(void) { return g_perform_args; }
t_perfroutine stub_perform(void) { return g_perform; }
int stub_run_clocks(void) {
  int i, ran = 0;
  for (i = 0; i < N_CLOCKS; ++i) {
    t_clock* c = g_clocks[i];
    if (c && c->armed) {
      c->armed = 0;
      ((void (*)(void*))c->fn)(c->owner);
      ran = 1;
    }
  }
  return ran;
}
int stub_loaded(void) { return atomic_load(&g_loaded); }
int stub_errors(void) { return atomic_load(&g_errors); }
