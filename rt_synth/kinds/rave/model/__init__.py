"""RAVE-style variational autoencoder with PQMF bands and causal streaming convolutions
(docs/rave.md)."""
