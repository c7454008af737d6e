"""Kind "rave": a causal multiband VAE+GAN with a playable latent space and a pitch source
(docs/rave.md)."""
