"""The ordered list of streaming layers of a RAVE model: what the C++ core builds, with the
tensor names of the native file (docs/rave.md prints it for the base config)."""
from __future__ import annotations

from dataclasses import dataclass

from rt_synth.kinds.rave.model.config import RaveConfig


@dataclass(frozen=True)
class LayerSpec:
    name: str  # tensor prefix in the native file (prefix.weight, prefix.bias)
    kind: str  # CachedConv1d | CachedConvTranspose1d
    c_in: int
    c_out: int
    kernel: int
    stride: int = 1
    dilation: int = 1
    bias: bool = True
    before: str = ""  # what is applied to the layer's input (activation)
    after: str = ""  # how its output is combined


def layer_plan(c: RaveConfig) -> tuple[list[LayerSpec], list[LayerSpec]]:
    """(encode path, decode path); lrelu = LeakyReLU(c.leaky_slope)."""
    enc = [LayerSpec("pqmf.analysis.conv", "CachedConv1d", 1, c.n_bands, c.pqmf_taps,
                     c.n_bands, bias=False, after="bands"),
           LayerSpec("encoder.conv_in.conv", "CachedConv1d", c.n_bands, c.encoder_channels[0],
                     2 * c.kernel + 1)]
    for i, s in enumerate(c.encoder_strides):
        ch, nxt = c.encoder_channels[i], c.encoder_channels[i + 1]
        p = f"encoder.stages.{i}"
        enc += [LayerSpec(f"{p}.residual.conv.conv", "CachedConv1d", ch, ch, c.kernel,
                          before="lrelu", after="h"),
                LayerSpec(f"{p}.residual.mix.conv", "CachedConv1d", ch, ch, 1, before="lrelu",
                          after="x + h (residual)"),
                LayerSpec(f"{p}.down.conv", "CachedConv1d", ch, nxt, 2 * s, s, before="lrelu")]
    enc.append(LayerSpec("encoder.conv_out.conv", "CachedConv1d", c.encoder_channels[-1],
                         2 * c.latent_size, c.kernel, before="lrelu",
                         after="mean = first D rows (scale unused at inference); "
                               "u = latent_pca @ (mean - latent_mean)"))
    dec = [LayerSpec("decoder.conv_in.conv", "CachedConv1d", c.latent_size,
                     c.decoder_channels[0], c.kernel,
                     before="z = latent_pca^T @ u + latent_mean")]
    for i, s in enumerate(c.decoder_strides):
        ch, nxt = c.decoder_channels[i], c.decoder_channels[i + 1]
        p = f"decoder.stages.{i}"
        dec.append(LayerSpec(f"{p}.up.conv", "CachedConvTranspose1d", ch, nxt, 2 * s, s,
                             before="lrelu"))
        for j, d in enumerate(c.dilations):
            dec += [LayerSpec(f"{p}.residuals.{j}.conv.conv", "CachedConv1d", nxt, nxt,
                              c.kernel, 1, d, before="lrelu", after="h"),
                    LayerSpec(f"{p}.residuals.{j}.mix.conv", "CachedConv1d", nxt, nxt, 1,
                              before="lrelu", after="x + h (residual)")]
    m = c.n_bands
    dec.append(LayerSpec("decoder.conv_out.conv", "CachedConv1d", c.decoder_channels[-1],
                         (3 if c.noise else 2) * m, c.kernel, before="lrelu",
                         after="bands = h[:M] * sigmoid(h[M:2M])"
                               + (" + sigmoid(h[2M:]) * noise" if c.noise else "")))
    dec.append(LayerSpec("pqmf.synthesis.conv", "CachedConvTranspose1d", m, 1, c.pqmf_taps, m,
                         bias=False, after="audio"))
    return enc, dec


def markdown_table(c: RaveConfig) -> str:
    rows = ["| # | tensor prefix | layer | C_in → C_out | k | stride | dilation | input op | output op |",
            "|---|---|---|---|---|---|---|---|---|"]
    enc, dec = layer_plan(c)
    for part, layers in (("encode", enc), ("decode", dec)):
        rows.append(f"| | **{part}** | | | | | | | |")
        for i, l in enumerate(layers):
            rows.append(f"| {i} | `{l.name}` | {l.kind} | {l.c_in} → {l.c_out} | {l.kernel} | "
                        f"{l.stride} | {l.dilation} | {l.before} | {l.after} |")
    return "\n".join(rows)
