/* rt_synth.h — the C ABI of the rt-synth streaming core (docs/embedding.md).
 *
 * C99, one header, opaque handles. No C++ type and no exception crosses this boundary:
 * every function returns a status code or a plain value, and a failure that happened
 * outside the audio path leaves a message in a thread-local "last error" string.
 *
 * Threading tags on each function:
 *   [RT]      real-time safe: no heap allocation, no lock, no syscall, no logging. Call it
 *             from the audio thread. It does NOT touch the last-error string (that would
 *             need thread-local storage, which may allocate on first use in a dlopen'ed
 *             library); it returns a status code only.
 *   [ANY]     real-time safe AND callable from any thread concurrently with process()
 *             (lock-free queues / atomics).
 *   [SETUP]   allocates or reads files: call it from a non-audio thread, never concurrently
 *             with process() on the same handle.
 *
 * Lifetime: one handle = one loaded model running one method (ddsp: synth, transfer,
 * controls; rave: forward, encode, decode).
 * A host that swaps models opens a new handle off the audio thread, prepares it, publishes
 * the pointer atomically, and closes the old one once the audio thread has let go of it
 * (the Pure Data external in plugins/pd does exactly this).
 */
#ifndef RT_SYNTH_H
#define RT_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  if defined(RT_SYNTH_C_BUILDING)
#    define RT_SYNTH_API __declspec(dllexport)
#  else
#    define RT_SYNTH_API
#  endif
#else
#  define RT_SYNTH_API __attribute__((visibility("default")))
#endif

/* Bumped whenever a declaration in this header changes incompatibly. A host compares
 * rt_synth_abi_version() (the library it loaded) with RT_SYNTH_ABI_VERSION (the header it
 * was compiled against). */
#define RT_SYNTH_ABI_VERSION 1

/* ---- status codes ----------------------------------------------------------------- */
typedef int32_t rt_synth_status;
enum {
  RT_SYNTH_OK = 0,
  RT_SYNTH_ERR_INVALID_ARGUMENT = 1, /* null pointer, size out of range, unknown id */
  RT_SYNTH_ERR_IO = 2,               /* file could not be opened or read */
  RT_SYNTH_ERR_BAD_MODEL = 3,        /* corrupt, truncated or inconsistent model file */
  RT_SYNTH_ERR_VERSION = 4,          /* model format version this build does not read */
  RT_SYNTH_ERR_UNSUPPORTED = 5,      /* valid request this model / method cannot do */
  RT_SYNTH_ERR_OUT_OF_MEMORY = 6,
  RT_SYNTH_ERR_NOT_PREPARED = 7,     /* process() before a successful prepare() */
  RT_SYNTH_ERR_QUEUE_FULL = 8,       /* event dropped: the lock-free queue was full */
  RT_SYNTH_ERR_INTERNAL = 9
};

/* ---- methods (what a handle runs), like nn~'s methods ------------------------------ */
enum {
  RT_SYNTH_METHOD_SYNTH = 0,    /* MIDI in -> polyphonic synth, audio out; `in` ignored. On a rave
                                 * model with a pitch source: the monophonic RaveSynth, listed as
                                 * method_info index 3 (docs/rave-engine.md "Playing from MIDI") */
  RT_SYNTH_METHOD_TRANSFER = 1, /* audio in -> f0/loudness tracking -> model -> audio out */
  RT_SYNTH_METHOD_CONTROLS = 2, /* in[0] = f0 (Hz), in[1] = loudness (dB), per sample -> audio */
  /* Models of kind "rave" (docs/rave-engine.md). Their method_info index i < 3 is method
   * RT_SYNTH_METHOD_FORWARD + i (index 3, pitched models only: SYNTH). TRANSFER on a rave
   * model opens FORWARD. */
  RT_SYNTH_METHOD_FORWARD = 3,  /* audio in -> encode -> latent controls (params, MIDI CCs) -> decode -> audio */
  RT_SYNTH_METHOD_ENCODE = 4,   /* audio in (1 ch) -> latent_size channels, one frame per `hop` samples */
  RT_SYNTH_METHOD_DECODE = 5    /* latent_size channels, one frame per `hop` samples -> audio (1 ch) */
};

typedef struct rt_synth_handle rt_synth_handle; /* opaque */

typedef struct rt_synth_options {
  uint32_t struct_size; /* sizeof(rt_synth_options): set by rt_synth_options_init */
  int32_t method;       /* RT_SYNTH_METHOD_*; default SYNTH */
  int32_t max_voices;   /* synth polyphony 1..32; default 8 */
} rt_synth_options;

typedef struct rt_synth_method_info {
  const char* name;        /* "synth", "transfer", "controls"; rave: "forward", "encode", "decode" */
  const char* description;
  int32_t in_channels;     /* signal inputs the method reads (0 for synth) */
  int32_t in_ratio;        /* samples per input frame (1: per-sample streams) */
  int32_t out_channels;    /* 1: mono; prepare(channels) copies it to every output */
  int32_t out_ratio;       /* samples per output frame (1) */
  int32_t takes_midi;      /* 1 when rt_synth_send_midi drives it */
  int32_t latency;         /* algorithmic latency at the model's rate, samples */
} rt_synth_method_info;

typedef struct rt_synth_param_info {
  int32_t id;              /* stable id, pass to set/get_param */
  const char* name;        /* e.g. "attack_s" */
  float min, max, def;     /* set_param clamps to [min, max] */
} rt_synth_param_info;

/* ---- library -------------------------------------------------------------------- */
RT_SYNTH_API uint32_t rt_synth_abi_version(void);                 /* [ANY] */
RT_SYNTH_API const char* rt_synth_version(void);                  /* [ANY] "0.1.0" */
RT_SYNTH_API const char* rt_synth_status_string(rt_synth_status s); /* [ANY] static text */
/* [ANY] Message of the last failing [SETUP] call on THIS thread ("" if none). Valid until
 * the next failing call on this thread. */
RT_SYNTH_API const char* rt_synth_last_error(void);

/* ---- loading [SETUP] ------------------------------------------------------------- */
RT_SYNTH_API void rt_synth_options_init(rt_synth_options* opt); /* defaults */
/* opt may be NULL (defaults). On failure *out is NULL and the status says why; the
 * last-error string names the file, the field and what was expected. A corrupt file never
 * crashes: every count, offset and shape is checked before use. */
RT_SYNTH_API rt_synth_status rt_synth_open_file(const char* path, const rt_synth_options* opt, rt_synth_handle** out);
/* The bytes are copied; `name` (may be NULL) is used in messages. */
RT_SYNTH_API rt_synth_status rt_synth_open_memory(const void* data, size_t size, const char* name,
                                                  const rt_synth_options* opt, rt_synth_handle** out);
RT_SYNTH_API void rt_synth_close(rt_synth_handle* h); /* [SETUP] NULL is fine */

/* ---- metadata [ANY] (pointers stay valid while the handle lives) -------------------- */
RT_SYNTH_API const char* rt_synth_kind(const rt_synth_handle* h);   /* "ddsp" or "rave" */
RT_SYNTH_API const char* rt_synth_name(const rt_synth_handle* h);   /* rt_synth.name */
RT_SYNTH_API int32_t rt_synth_model_sample_rate(const rt_synth_handle* h);
RT_SYNTH_API int32_t rt_synth_hop(const rt_synth_handle* h);        /* samples per model frame (rave: ratio R) */
RT_SYNTH_API int32_t rt_synth_method(const rt_synth_handle* h);     /* the method this handle runs */
RT_SYNTH_API int32_t rt_synth_method_count(const rt_synth_handle* h); /* methods the model offers */
RT_SYNTH_API rt_synth_status rt_synth_get_method_info(const rt_synth_handle* h, int32_t index, rt_synth_method_info* out);
RT_SYNTH_API int32_t rt_synth_metadata_count(const rt_synth_handle* h);
RT_SYNTH_API const char* rt_synth_metadata_key(const rt_synth_handle* h, int32_t index);       /* NULL if out of range */
RT_SYNTH_API const char* rt_synth_metadata_value(const rt_synth_handle* h, const char* key); /* as text; NULL if absent */

/* ---- parameters ------------------------------------------------------------------ */
RT_SYNTH_API int32_t rt_synth_param_count(const rt_synth_handle* h);                               /* [ANY] */
RT_SYNTH_API rt_synth_status rt_synth_get_param_info(const rt_synth_handle* h, int32_t index, rt_synth_param_info* out); /* [ANY] */
RT_SYNTH_API int32_t rt_synth_find_param(const rt_synth_handle* h, const char* name); /* [ANY] id, or -1 */
/* [ANY] Clamped to the parameter's range; takes effect at the next process() block
 * (synth: at the next model frame). NaN is refused (INVALID_ARGUMENT). */
RT_SYNTH_API rt_synth_status rt_synth_set_param(rt_synth_handle* h, int32_t id, float value);
/* Every audio path ends in a safety stage (docs/safety.md): output finite and |y| <= a
 * ceiling, 0 dBFS by default. Its ceiling is the parameter "output_ceiling_db" (id 4000,
 * -24..+12 dBFS, default 0) on transfer, controls, forward and decode handles; the synth's is
 * its own "limiter_ceiling_db" (-24..0 dBFS). */
/* [ANY] The value last set (synth: last applied by the audio thread). */
RT_SYNTH_API rt_synth_status rt_synth_get_param(const rt_synth_handle* h, int32_t id, float* value);

/* ---- streaming ------------------------------------------------------------------- */
/* [SETUP] Allocates every buffer process() will use. sample_rate: the host's rate; when it
 * differs from the model's, a causal polyphase resampler adapts it (synth and transfer;
 * controls runs at the model's rate only). max_block >= 1 (larger n are split). channels
 * 1..64: the number of output buffers process() fills (the mono signal is copied to each)
 * and of input buffers the transfer method reads (averaged to mono). Then reset().
 * rave: forward as transfer (any rate); encode/decode at the model's rate only, max_block
 * >= hop, `channels` ignored (their channel counts are the method's: 1 and latent_size). */
RT_SYNTH_API rt_synth_status rt_synth_prepare(rt_synth_handle* h, double sample_rate, int32_t max_block, int32_t channels);
/* [SETUP] Latency in host samples after prepare: the model's algorithmic latency plus the
 * resamplers' delay (0 for the synth at the model's rate). An impulse/onset entering at host
 * sample t comes out at t + latency. */
RT_SYNTH_API int32_t rt_synth_latency(const rt_synth_handle* h);
RT_SYNTH_API double rt_synth_latency_seconds(const rt_synth_handle* h);
/* [RT] in: array of input pointers (synth: ignored, may be NULL; transfer: `channels`
 * pointers; controls: 2 pointers, f0 Hz and loudness dB). out: `channels` pointers. Any
 * n >= 0. Output is finite and within the safety ceiling whatever comes in. Before prepare: writes silence and returns
 * NOT_PREPARED. rave encode/decode: n = audio samples, a multiple of hop (else
 * INVALID_ARGUMENT); encode: in[0][n] -> out[c][n/hop] for c < latent_size; decode:
 * in[c][n/hop] for c < latent_size -> out[0][n]. */
RT_SYNTH_API rt_synth_status rt_synth_process(rt_synth_handle* h, const float* const* in, float* const* out, int32_t n);
/* [RT] Silence: voices, model state, resamplers. From the audio thread, or while process()
 * is not running. Parameters are kept. */
RT_SYNTH_API rt_synth_status rt_synth_reset(rt_synth_handle* h);

/* ---- MIDI [ANY] ------------------------------------------------------------------ */
/* Raw MIDI bytes (running status allowed, several messages allowed) stamped with a sample
 * offset (host samples) into the next process() call; offsets beyond that block carry over
 * to later blocks. A note takes effect at the first model frame boundary at or after its
 * time (jitter 0..hop-1 model samples, independent of the block size; at a host rate other
 * than the model's the event's absolute host time is mapped exactly, through the input
 * resampler's delay, so a note sounds rt_synth_latency() samples after it plus that jitter,
 * the same for every block size: docs/synth-engine.md). Synth method, and
 * rave forward (CCs steer the latent controls, applied at the start of the next process()
 * call; sample_offset ignored; map in docs/rave-engine.md), rave synth (notes and CCs, also at
 * the start of the next process() call, sample_offset ignored); UNSUPPORTED otherwise.
 * QUEUE_FULL when dropped. */
RT_SYNTH_API rt_synth_status rt_synth_send_midi(rt_synth_handle* h, const uint8_t* bytes, int32_t len, int32_t sample_offset);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RT_SYNTH_H */
