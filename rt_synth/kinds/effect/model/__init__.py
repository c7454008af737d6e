"""The effect networks: a per-sample recurrent model and a causal dilated convolution stack."""
