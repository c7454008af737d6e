/* DistrhoPluginInfo.h — the compile-time description DPF reads (one header, two plugins).
 * The build compiles rt_synth_dpf_plugin.cpp twice: with RT_SYNTH_DPF_INSTRUMENT=1 (MIDI in ->
 * stereo out, the C ABI's synth method) and =0 (stereo in -> stereo out, the transfer method:
 * DDSP timbre transfer, or a RAVE model's forward). Name, unique id and CLAP id are taken at
 * run time from the bundle the binary sits in (bundle_paths.hpp), so one binary serves every
 * per-model bundle. */
#ifndef RT_SYNTH_DPF_PLUGIN_INFO_H
#define RT_SYNTH_DPF_PLUGIN_INFO_H

#ifndef RT_SYNTH_DPF_INSTRUMENT
#define RT_SYNTH_DPF_INSTRUMENT 1
#endif

#define DISTRHO_PLUGIN_BRAND "rt-synth"
#define DISTRHO_PLUGIN_NAME "rt-synth"
#define DISTRHO_PLUGIN_HAS_UI 0
#define DISTRHO_PLUGIN_IS_RT_SAFE 1
#define DISTRHO_PLUGIN_WANT_LATENCY 1
#define DISTRHO_PLUGIN_WANT_STATE 1
#define DISTRHO_PLUGIN_WANT_FULL_STATE 1
#define DISTRHO_PLUGIN_NUM_OUTPUTS 2

/* The CLAP id is read at run time from the bundle name (DistrhoPluginCLAP.cpp uses the macro
 * only inside a function-local static initialiser). */
const char* rt_synth_dpf_clap_id(void);
#define DISTRHO_PLUGIN_CLAP_ID rt_synth_dpf_clap_id()

#if RT_SYNTH_DPF_INSTRUMENT
#define DISTRHO_PLUGIN_URI "urn:rt-synth:dpf#instrument"
#define DISTRHO_PLUGIN_IS_SYNTH 1
#define DISTRHO_PLUGIN_NUM_INPUTS 0
#define DISTRHO_PLUGIN_WANT_MIDI_INPUT 1
#define DISTRHO_PLUGIN_VST3_CATEGORIES "Instrument|Synth"
#define DISTRHO_PLUGIN_CLAP_FEATURES "instrument", "synthesizer", "stereo"
#else
#define DISTRHO_PLUGIN_URI "urn:rt-synth:dpf#effect"
#define DISTRHO_PLUGIN_IS_SYNTH 0
#define DISTRHO_PLUGIN_NUM_INPUTS 2
#define DISTRHO_PLUGIN_WANT_MIDI_INPUT 0
#define DISTRHO_PLUGIN_VST3_CATEGORIES "Fx"
#define DISTRHO_PLUGIN_CLAP_FEATURES "audio-effect", "stereo"
#endif

#endif
