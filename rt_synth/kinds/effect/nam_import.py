"""Neural Amp Modeler (.nam) files → effect models (docs/effect-models.md, "Neural Amp
Modeler files").

A .nam file is JSON: "version" (of the format; the community captures are "0.5.x"),
"architecture", "config" (the hyperparameters), "weights" (every parameter in one flat
list, in the order the network's layers are built), "sample_rate" (older files lack it)
and "metadata" (loudness, gain, the gear, who captured it, ...).

Parsing and validation need no torch: read_nam() checks the file against the 0.5.x layout and
returns a NamFile that knows the flat list's layout; to_effect() (torch) turns it into our
EffectModel. What is refused, and why:
- architectures other than WaveNet and LSTM (Linear, ConvNet, CatLSTM, ... have no native form
  here yet);
- a WaveNet with a post-head ("head" not null: NAM itself cannot load those weights), any
  config key this reader does not know (condition_dsp, groups, bottlenecks of newer formats:
  reading past them would play a different network), an activation other than Tanh, ReLU,
  Sigmoid, Hardtanh;
- an LSTM whose input_size is not 1 (a parametric capture);
- a weight count that differs from what the config needs (expected vs found);
- a format version newer than 0.5 (the layout may have changed).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rt_synth.errors import UserError

DEFAULT_SAMPLE_RATE = 48_000  # NAM's own assumption for files without "sample_rate"
NEWEST_VERSION = (0, 5)
ACTIVATIONS = ("Tanh", "ReLU", "Sigmoid", "Hardtanh")  # those our WaveNet and the core play
WAVENET_ARRAY_KEYS = {"input_size", "condition_size", "head_size", "channels", "kernel_size",
                      "dilations", "activation", "gated", "head_bias"}
WAVENET_KEYS = {"layers", "head", "head_scale"}
LSTM_KEYS = {"input_size", "hidden_size", "num_layers"}
LSTM_TRAINING_KEYS = {"train_burn_in", "train_truncate"}  # training-only: ignored
MAX_LSTM_HIDDEN, MAX_LSTM_LAYERS = 512, 4  # what the core plays (csrc/kinds/effect)
# NAM metadata kept in the native file as rt_synth.effect.nam.<key>
METADATA_KEYS = ("name", "modeled_by", "gear_type", "gear_make", "gear_model", "tone_type",
                 "loudness", "gain", "input_level_dbu", "output_level_dbu")
METADATA_PREFIX = "rt_synth.effect.nam."


@dataclass
class NamFile:
    """A validated .nam: what it holds and the layout of its flat weight list."""
    path: str
    version: str
    architecture: str  # "WaveNet" or "LSTM"
    config: dict
    weights: np.ndarray  # float64, the flat list
    sample_rate: int
    metadata: dict  # rt_synth.effect.nam.* key → str or float
    notes: list = field(default_factory=list)  # things the user should know (assumed rate, ...)
    # [(our state-dict name or None, shape)] in the flat list's order; None = NAM's head_scale
    layout: list = field(default_factory=list)

    @property
    def receptive_field(self) -> int:
        if self.architecture != "WaveNet":
            return 1
        return 1 + sum((la["kernel_size"] - 1) * d for la in self.config["layers"]
                       for d in la["dilations"])


def _fail(path, what: str):
    raise UserError(f"{path}: {what}")


def _int(path, where: str, v, lo: int = 1, hi: int = 1 << 16) -> int:
    if (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v != int(v)
            or not lo <= v <= hi):
        _fail(path, f"{where} is {v!r}; expected a whole number in {lo}..{hi}")
    return int(v)


def _version(path, raw) -> tuple:
    try:
        parts = tuple(int(p) for p in str(raw).split(".")[:2])
    except ValueError:
        _fail(path, f"version {raw!r} is not a NAM format version like 0.5.4")
    if len(parts) < 2:
        _fail(path, f"version {raw!r} is not a NAM format version like 0.5.4")
    if parts < NEWEST_VERSION:
        _fail(path, f"format version {raw} is older than this importer reads (0.5.x); open and "
                    f"export it again with neural-amp-modeler 0.12 to bring it to 0.5.x")
    if parts > NEWEST_VERSION:
        _fail(path, f"format version {raw} is newer than this importer reads (0.5.x, the format "
                    f"of neural-amp-modeler 0.12 and the community captures); its layout may "
                    f"differ, so it is refused rather than guessed")
    return parts


def _wavenet_layout(path, cfg: dict) -> tuple[list, list]:
    unknown = set(cfg) - WAVENET_KEYS
    if unknown:
        _fail(path, f"WaveNet option(s) {', '.join(sorted(unknown))} are not supported (this "
                    f"importer reads NAM's 0.5.x WaveNet: layers, head, head_scale)")
    if cfg.get("head") is not None:
        _fail(path, "a WaveNet with a post-head ('head' not null) is not supported (NAM's own "
                    "loader cannot read its weights either)")
    arrays = cfg.get("layers")
    if not isinstance(arrays, list) or not arrays:
        _fail(path, "WaveNet config has no 'layers' list")
    if len(arrays) > 4:
        _fail(path, f"{len(arrays)} layer arrays; the core plays up to 4")
    if not isinstance(cfg.get("head_scale"), (int, float)) or isinstance(cfg.get("head_scale"), bool):
        _fail(path, "WaveNet config has no numeric 'head_scale'")
    layers, layout = [], []
    for a, la in enumerate(arrays):
        where = f"layer array {a}"
        if not isinstance(la, dict):
            _fail(path, f"{where} is not an object")
        unknown = set(la) - WAVENET_ARRAY_KEYS
        if unknown:
            _fail(path, f"{where}: option(s) {', '.join(sorted(unknown))} are not supported "
                        f"(NAM 0.5.x layer arrays have {', '.join(sorted(WAVENET_ARRAY_KEYS))})")
        missing = {"input_size", "condition_size", "head_size", "channels", "kernel_size",
                   "dilations"} - set(la)
        if missing:
            _fail(path, f"{where} lacks {', '.join(sorted(missing))}")
        # the core's limits (csrc/kinds/effect/wavenet.cpp): refused here, by name, not by a
        # file the core would then refuse to load
        d = {k: _int(path, f"{where} {k}", la[k], hi=hi) for k, hi in
             (("input_size", 256), ("condition_size", 1), ("head_size", 256), ("channels", 256),
              ("kernel_size", 16))}
        if not isinstance(la["dilations"], list) or not 1 <= len(la["dilations"]) <= 64:
            _fail(path, f"{where} dilations must be a list of 1..64 dilations")
        d["dilations"] = tuple(_int(path, f"{where} dilation", x, hi=4096) for x in la["dilations"])
        act = la.get("activation", "Tanh")
        if act not in ACTIVATIONS:
            _fail(path, f"{where}: activation {act!r} is not supported (supported: "
                        f"{', '.join(ACTIVATIONS)})")
        d["activation"] = act
        for flag, default in (("gated", True), ("head_bias", True)):  # NAM's defaults
            v = la.get(flag, default)
            if not isinstance(v, bool):
                _fail(path, f"{where} {flag} is {v!r}; expected true or false")
            d[flag] = v
        # the chain NAM's forward needs: the input is the dry signal (1 channel), array k+1
        # reads array k's residual stream and adds its head to array k's head
        if d["condition_size"] != 1:
            _fail(path, f"{where} condition_size is {d['condition_size']}; only 1 (the input "
                        f"signal) is supported")
        want_in = 1 if a == 0 else layers[-1]["channels"]
        if d["input_size"] != want_in:
            _fail(path, f"{where} input_size is {d['input_size']}; it must be {want_in} (the "
                        f"{'input signal' if a == 0 else 'previous array’s channels'})")
        if a > 0 and layers[-1]["head_size"] != d["channels"]:
            _fail(path, f"layer array {a - 1} head_size {layers[-1]['head_size']} must equal "
                        f"array {a}'s channels {d['channels']}")
        layers.append(d)
        C, k, mid = d["channels"], d["kernel_size"], 2 * d["channels"] if d["gated"] else d["channels"]
        p = f"arrays.{a}."
        layout.append((p + "rechannel.weight", (C, d["input_size"], 1)))
        for i in range(len(d["dilations"])):
            q = f"{p}layers.{i}."
            layout += [(q + "conv.weight", (mid, C, k)), (q + "conv.bias", (mid,)),
                       (q + "input_mixer.weight", (mid, d["condition_size"], 1)),
                       (q + "layer1x1.weight", (C, C, 1)), (q + "layer1x1.bias", (C,))]
        layout.append((p + "head_rechannel.weight", (d["head_size"], C, 1)))
        if d["head_bias"]:
            layout.append((p + "head_rechannel.bias", (d["head_size"],)))
    if layers[-1]["head_size"] != 1:
        _fail(path, f"the last layer array's head_size is {layers[-1]['head_size']}; a mono "
                    f"effect needs 1")
    layout.append((None, (1,)))  # head_scale, last in the list
    return layers, layout


def _lstm_layout(path, cfg: dict) -> list:
    unknown = set(cfg) - LSTM_KEYS - LSTM_TRAINING_KEYS
    if unknown:
        _fail(path, f"LSTM option(s) {', '.join(sorted(unknown))} are not supported (NAM 0.5.x "
                    f"LSTMs have input_size, hidden_size, num_layers)")
    if "hidden_size" not in cfg:
        _fail(path, "LSTM config lacks hidden_size")
    H = _int(path, "LSTM hidden_size", cfg["hidden_size"], 1, MAX_LSTM_HIDDEN)
    L = _int(path, "LSTM num_layers", cfg.get("num_layers", 1), 1, MAX_LSTM_LAYERS)
    if _int(path, "LSTM input_size", cfg.get("input_size", 1)) != 1:
        _fail(path, f"LSTM input_size is {cfg['input_size']}; only 1 (a plain capture, not a "
                    f"parametric one) is supported")
    layout = []
    for k in range(L):
        # one [4H, in + H] matrix (W_ih | W_hh, gates i f g o), one summed bias, then the
        # learned initial hidden and cell state
        layout += [(f"lstm.l{k}.w", (4 * H, (1 if k == 0 else H) + H)), (f"lstm.l{k}.b", (4 * H,)),
                   (f"lstm.l{k}.h0", (H,)), (f"lstm.l{k}.c0", (H,))]
    layout += [("head.weight", (1, H)), ("head.bias", (1,))]
    return layout


def _metadata(path, raw, version: str, architecture: str, notes: list) -> dict:
    meta = {METADATA_PREFIX + "version": str(version), METADATA_PREFIX + "architecture": architecture}
    if raw is None:
        return meta
    if not isinstance(raw, dict):
        notes.append("its 'metadata' is not an object and was ignored")
        return meta
    for k in METADATA_KEYS:
        v = raw.get(k)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            notes.append(f"metadata {k} ({type(v).__name__}) was not kept")
            continue
        if isinstance(v, float) and not math.isfinite(v):
            continue
        meta[METADATA_PREFIX + k] = v
    date = raw.get("date")
    if isinstance(date, dict) and all(isinstance(date.get(k), int) for k in ("year", "month", "day")):
        meta[METADATA_PREFIX + "date"] = "{year:04d}-{month:02d}-{day:02d}".format(**date) + (
            " {hour:02d}:{minute:02d}:{second:02d}".format(**date)
            if all(isinstance(date.get(k), int) for k in ("hour", "minute", "second")) else "")
    return meta


def read_nam(path: str | Path) -> NamFile:
    """Parse and validate a .nam file. Raises UserError naming the file and what is wrong."""
    path = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        _fail(path, "no such file")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(path, f"cannot be read as text ({exc})")
    try:
        d = json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(path, f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
                    f"is it a .nam file from Neural Amp Modeler?")
    if not isinstance(d, dict):
        _fail(path, "is JSON but not a .nam model (expected an object with architecture, config, weights)")
    missing = [k for k in ("version", "architecture", "config", "weights") if k not in d]
    if missing:
        _fail(path, f"is not a .nam model: it lacks {', '.join(missing)}")
    version = str(d["version"])
    _version(path, version)
    arch = d["architecture"]
    if arch not in ("WaveNet", "LSTM"):
        _fail(path, f"architecture {arch!r} is not supported (supported: WaveNet, LSTM)")
    cfg = d["config"]
    if not isinstance(cfg, dict):
        _fail(path, "'config' is not an object")
    raw_w = d["weights"]
    if not isinstance(raw_w, list):
        _fail(path, "'weights' is not a list of numbers")
    bad = next((w for w in raw_w if isinstance(w, bool) or not isinstance(w, (int, float))), None)
    if bad is not None:
        _fail(path, f"'weights' holds {bad!r}, which is not a number")
    try:
        weights = np.asarray(raw_w, dtype=np.float64)
    except (TypeError, ValueError):
        _fail(path, "'weights' holds something that is not a number")
    if weights.ndim != 1:
        _fail(path, "'weights' is not a flat list of numbers")
    if not np.all(np.isfinite(weights)):
        _fail(path, f"'weights' holds {int(np.sum(~np.isfinite(weights)))} non-finite values: "
                    f"the model is broken")
    notes: list = []
    if arch == "WaveNet":
        layers, layout = _wavenet_layout(path, cfg)
        config = {"layers": layers, "head_scale": float(cfg["head_scale"])}
    else:
        layout = _lstm_layout(path, cfg)
        config = {"hidden_size": int(cfg["hidden_size"]), "num_layers": int(cfg.get("num_layers", 1))}
    expected = sum(int(np.prod(s)) for _, s in layout)
    if len(weights) != expected:
        _fail(path, f"weight count mismatch: the {arch} config needs {expected} weights, the file "
                    f"has {len(weights)} (a truncated or edited file, or a config this reader "
                    f"does not understand)")
    sr = d.get("sample_rate")
    if sr is None:
        sample_rate = DEFAULT_SAMPLE_RATE
        notes.append(f"the file has no sample_rate; {DEFAULT_SAMPLE_RATE} Hz assumed (as NAM does)")
    else:
        if isinstance(sr, bool) or not isinstance(sr, (int, float)) or not 8000 <= sr <= 384000:
            _fail(path, f"sample_rate {sr!r} is not a rate in 8000..384000 Hz")
        sample_rate = int(round(sr))
        if sample_rate != sr:
            notes.append(f"sample_rate {sr} rounded to {sample_rate} Hz")
    if arch == "WaveNet":
        stored = float(weights[-1])
        if not math.isclose(stored, config["head_scale"], rel_tol=1e-6, abs_tol=1e-9):
            notes.append(f"head_scale {config['head_scale']} in the config, {stored} at the end of "
                         f"the weights; the weights' value is used (as NAM's plugin does)")
        config["head_scale"] = stored
    meta = _metadata(path, d.get("metadata"), version, arch, notes)
    return NamFile(path, version, arch, config, weights, sample_rate, meta, notes, layout)


def to_effect(nam: NamFile):
    """The EffectModel (float32, eval) that plays what the .nam describes."""
    import torch

    from rt_synth.kinds.effect.model.config import EffectConfig
    from rt_synth.kinds.effect.model.model import EffectModel

    parts, i = {}, 0
    for name, shape in nam.layout:
        n = int(np.prod(shape))
        parts[name] = torch.from_numpy(nam.weights[i:i + n].reshape(shape).astype(np.float32))
        i += n
    if nam.architecture == "WaveNet":
        cfg = EffectConfig(arch="wavenet", sample_rate=nam.sample_rate,
                           layers=tuple(dict(la) for la in nam.config["layers"]),
                           head_scale=nam.config["head_scale"])
        sd = {k: v for k, v in parts.items() if k is not None}
    else:
        H, L = nam.config["hidden_size"], nam.config["num_layers"]
        cfg = EffectConfig(arch="lstm", sample_rate=nam.sample_rate, hidden_size=H, num_layers=L,
                           skip=False)  # NAM's LSTM: output = head(lstm(x)), no dry path
        sd = {"head.weight": parts["head.weight"], "head.bias": parts["head.bias"],
              "h0": torch.stack([parts[f"lstm.l{k}.h0"] for k in range(L)]),
              "c0": torch.stack([parts[f"lstm.l{k}.c0"] for k in range(L)])}
        for k in range(L):
            w, n_in = parts[f"lstm.l{k}.w"], 1 if k == 0 else H
            sd[f"lstm.weight_ih_l{k}"] = w[:, :n_in].contiguous()
            sd[f"lstm.weight_hh_l{k}"] = w[:, n_in:].contiguous()
            sd[f"lstm.bias_ih_l{k}"] = parts[f"lstm.l{k}.b"]  # NAM's one bias = b_ih + b_hh
            sd[f"lstm.bias_hh_l{k}"] = torch.zeros(4 * H)
    model = EffectModel(cfg)
    model.net.load_state_dict(sd)  # strict: every tensor named and shaped as ours
    return model.eval()


def guitar_like(sample_rate: int, seconds: float = 1.0, seed: int = 0) -> np.ndarray:
    """A seeded test signal that exercises an amp model the way playing does: decaying sine
    chords (strummed, with harmonics) and noise bursts, peaks up to about 0.8. float32."""
    rng = np.random.default_rng(seed)
    n = int(sample_rate * seconds)
    t = np.arange(n) / sample_rate
    x = np.zeros(n)
    step = max(n // 6, 1)
    for start in range(0, n, step):
        seg = t[: n - start]
        env = np.exp(-seg * rng.uniform(3, 8))
        root = rng.uniform(82, 330)
        chord = sum(np.sin(2 * np.pi * root * r * seg + rng.uniform(0, 6.3)) / r
                    for r in (1.0, 1.26, 1.5, 2.0))  # root, third, fifth, octave
        x[start:] += rng.uniform(0.15, 0.25) * env * chord
        burst = slice(start + step // 2, min(start + step // 2 + step // 6, n))
        x[burst] += rng.uniform(0.1, 0.4) * rng.standard_normal(burst.stop - burst.start)
    return (0.8 * x / max(np.abs(x).max(), 1e-9)).astype(np.float32)


def measure_parity(model, native_path: str | Path, blocks=(64, 0), seconds: float = 1.0) -> dict:
    """Max |core − PyTorch| on guitar_like() at each block size (0 = the whole signal at once);
    the PyTorch model runs in float64. Returns {block: max abs diff}."""
    import copy

    import torch

    from rt_synth.core import load_core

    x = guitar_like(model.config.sample_rate, seconds)
    with torch.no_grad():
        ref = copy.deepcopy(model).double()(torch.from_numpy(x).double()[None])[0].numpy()
    core = load_core().EffectModel(str(native_path))
    out = {}
    for block in blocks:
        b = block or len(x)
        core.reset()
        y = np.concatenate([core.process(x[i:i + b]) for i in range(0, len(x), b)])
        out[block] = float(np.abs(y - ref).max())
    return out


def import_nam(path: str | Path, out: str | Path, force: bool = False, checkpoint: bool = True,
               measure: bool = True) -> dict:
    """.nam → OUT.rtsynth (and OUT.pt, our checkpoint payload). Returns a summary: paths,
    architecture, parameters, sample rate, receptive field, notes, parity {block: diff}."""
    import torch

    from rt_synth.kinds.effect.export.native import write_effect

    nam = read_nam(path)
    out = Path(out)
    native = out.with_name(out.name + ".rtsynth")
    ckpt = out.with_name(out.name + ".pt")
    targets = [native] + ([ckpt] if checkpoint else [])
    existing = [str(p) for p in targets if p.exists()]
    if existing and not force:
        raise UserError(f"{', '.join(existing)} already exist(s); pass --force to overwrite")
    model = to_effect(nam)
    tmp = native.with_name(out.name + ".partial.rtsynth")
    try:
        with torch.no_grad():
            write_effect(model, tmp, out.name, nam.metadata)
        from rt_synth.core import load_core

        try:
            load_core().EffectModel(str(tmp))  # what the core would refuse is refused now
        except ValueError as exc:
            raise UserError(f"{path}: the converted model does not load in the core: {exc}") from exc
        tmp.replace(native)
    finally:
        tmp.unlink(missing_ok=True)
    written = {"native": native}
    if checkpoint:
        from rt_synth.train.checkpoint import atomic_save

        payload = model.payload()
        payload["nam_metadata"] = dict(nam.metadata)  # kept with the weights; export ignores it
        atomic_save(payload, ckpt)
        written["checkpoint"] = ckpt
    return {
        "source": str(path), "written": written, "architecture": nam.architecture,
        "version": nam.version, "parameters": int(len(nam.weights)),
        "sample_rate": nam.sample_rate, "receptive_field": nam.receptive_field,
        "notes": list(nam.notes), "metadata": dict(nam.metadata), "model": model,
        "parity": measure_parity(model, native) if measure else {},
    }
