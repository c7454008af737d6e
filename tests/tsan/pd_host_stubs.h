/* Driver side of pd_host_stubs.c (see there). */
#pragma once
#include "m_pd.h"
#ifdef __cplusplus
extern "C" {
#endif
t_method stub_method(const char* sel);
t_newmethod stub_newmethod(void);
t_method stub_freemethod(void);
t_int* stub_perform_args(void);
t_perfroutine stub_perform(void);
int stub_run_clocks(void);
int stub_loaded(void);
int stub_errors(void);
void rt_synth_tilde_setup(void);
#ifdef __cplusplus
}
#endif
