"""`rt-synth train rave`: phase switch (encoder frozen, latent statistics), resume, finite
discriminator losses, clear messages for datasets too small."""
import json
import math

import pytest
import torch

from rt_synth.cli.errors import UserError
from rt_synth.cli.main import main
from rt_synth.kinds.rave.model.config import CONFIGS
from rt_synth.kinds.rave.model.discriminators import Discriminators
from rt_synth.kinds.rave.model.latent_stats import principal_directions
from rt_synth.kinds.rave.model.model import RaveModel
from rt_synth.train.distributed import DistInfo
from rt_synth.kinds.rave.trainer import RaveLosses, check_dataset, gan_step, vae_step


def _ckpt(run, step):
    return torch.load(run / "checkpoints" / f"step_{step:07d}.pt", weights_only=False)


def test_phase_switch_and_resume(tiny_dataset, tmp_path, capsys):
    run = tmp_path / "run"
    args = ["train", "rave", "--data", str(tiny_dataset), "--out", str(run), "--config", "tiny",
            "--phase2-step", "4"]
    assert main(args + ["--steps", "4"]) == 0  # phase 1 only: statistics at the end anyway
    first = _ckpt(run, 4)
    assert float(first["modules"]["model"]["latent_stats_ready"]) == 1.0
    info = json.loads((run / "run.json").read_text())
    assert info["kind"] == "rave" and info["latency_samples"] == CONFIGS["tiny"].latency
    assert (run / "model.pt").exists() and list((run / "plots").glob("step_*.png"))
    capsys.readouterr()

    assert main(args + ["--steps", "6", "--lr", "5e-4"]) == 0  # resumes at 4: 2 phase-2 steps
    assert "resuming" in capsys.readouterr().out
    last = _ckpt(run, 6)
    assert last["step"] == 6
    assert last["modules"]["opt_g"]["param_groups"][0]["lr"] == 5e-4  # --lr on resume
    a, b = first["modules"]["model"], last["modules"]["model"]
    enc = [k for k in a if k.startswith("encoder.")]
    dec = [k for k in a if k.startswith("decoder.")]
    assert all(torch.equal(a[k], b[k]) for k in enc)  # encoder frozen in phase 2
    assert any(not torch.equal(a[k], b[k]) for k in dec)  # decoder still trains
    assert torch.equal(a["latent_pca"], b["latent_pca"])  # statistics kept across resume
    assert any(k.startswith("scales.") for k in last["modules"]["disc"])
    payload = torch.load(run / "model.pt", weights_only=False)
    assert payload["kind"] == "rave" and payload["latency_samples"] == CONFIGS["tiny"].latency
    steps = [s for s, _ in last["history"]["train"]]
    assert steps == sorted(steps)


def _tiny_gan():
    """The tiny config's model, discriminators, optimisers and losses (seed 0)."""
    torch.manual_seed(0)
    c = CONFIGS["tiny"]
    m = RaveModel(c)
    d = Discriminators(c.disc_channels, c.disc_periods, c.disc_scales)
    og = torch.optim.Adam(list(m.encoder.parameters()) + list(m.decoder.parameters()))
    od = torch.optim.Adam(d.parameters())
    return c, m, d, og, od, RaveLosses(c)


def test_discriminator_losses_finite():
    c, m, d, og, od, losses = _tiny_gan()
    audio = torch.randn(c.batch_size, 1, c.train_samples) * 0.2
    logs = vae_step(m, losses, og, audio, 1, c, DistInfo())
    assert all(math.isfinite(v) for v in logs.values())
    enc_before = [p.clone() for p in m.encoder.parameters()]
    for _ in range(2):
        logs = gan_step(m, d, losses, og, od, audio, c, DistInfo())
        for k in ("discriminator", "adversarial", "feature_matching", "loss"):
            assert math.isfinite(logs[k]), k
    assert logs["discriminator"] > 0
    assert all(torch.equal(a, b) for a, b in zip(enc_before, m.encoder.parameters()))


def test_dataset_too_small_for_a_batch(tiny_dataset, tmp_path, capsys):
    code = main(["train", "rave", "--data", str(tiny_dataset), "--out", str(tmp_path / "r"),
                 "--config", "tiny", "--steps", "2", "--batch-size", "100000"])
    err = capsys.readouterr().err
    assert code == 2 and "fewer than one batch" in err and "--batch-size" in err
    assert "Traceback" not in err
    assert not (tmp_path / "r" / "checkpoints").exists()


def test_too_small_messages():
    c = CONFIGS["base"]
    with pytest.raises(UserError, match="too short"):
        check_dataset(10, 300, c, "d")
    with pytest.raises(UserError, match="latent statistics"):
        check_dataset(6, 2 * c.ratio, c, "d")  # 12 frames for 16 dimensions
    assert check_dataset(10, 96000, c, "d") == c.train_samples
    with pytest.raises(UserError, match="too small"):
        principal_directions(torch.randn(10, 16))


def test_principal_directions_order_variance():
    torch.manual_seed(0)
    z = torch.randn(4000, 4) * torch.tensor([0.1, 3.0, 1.0, 0.5]) + 2.0
    mean, pca, std = principal_directions(z)
    assert torch.allclose(mean, torch.full((4,), 2.0), atol=0.15)
    assert torch.all(std[:-1] >= std[1:])
    assert abs(std[0] - 3.0) < 0.2 and abs(pca[0, 1]) > 0.99
    assert torch.allclose(pca @ pca.T, torch.eye(4), atol=1e-5)


def test_interrupt_saves_the_step_reached_and_resume_continues(tiny_dataset, tmp_path,
                                                               monkeypatch, capsys):
    """Ctrl-C (or SIGTERM, raised as KeyboardInterrupt) between checkpoints saves the step
    reached; the same command then resumes there."""
    import rt_synth.kinds.rave.trainer as trainer

    real_step, calls = trainer.vae_step, {"n": 0}

    def interrupted_after_three(*a, **k):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real_step(*a, **k)

    monkeypatch.setattr(trainer, "vae_step", interrupted_after_three)
    run = tmp_path / "run"
    args = ["train", "rave", "--data", str(tiny_dataset), "--out", str(run), "--config", "tiny",
            "--phase2-step", "100"]
    assert main(args + ["--steps", "50"]) == 130
    assert "checkpoint saved at step 3" in capsys.readouterr().out
    assert _ckpt(run, 3)["step"] == 3
    monkeypatch.setattr(trainer, "vae_step", real_step)
    assert main(args + ["--steps", "5"]) == 0
    assert _ckpt(run, 5)["step"] == 5


def test_a_non_finite_batch_is_skipped_and_the_weights_stay_finite():
    """One batch with a NaN in it (a corrupt example, an overflow) must not reach the weights:
    Adam's moments would carry the NaN into every later step. Both phases skip the update and
    say so in the log."""
    c, m, d, og, od, losses = _tiny_gan()
    good = torch.randn(c.batch_size, 1, c.train_samples) * 0.2
    bad = good.clone()
    bad[0, 0, 100] = float("nan")
    before = {k: v.clone() for k, v in m.state_dict().items()}
    logs = vae_step(m, losses, og, bad, 1, c, DistInfo())
    assert logs["skipped"] == 1.0
    assert all(torch.equal(before[k], v) for k, v in m.state_dict().items())
    assert vae_step(m, losses, og, good, 2, c, DistInfo())["skipped"] == 0.0
    disc_before = [p.clone() for p in d.parameters()]
    logs = gan_step(m, d, losses, og, od, bad, c, DistInfo())
    assert logs["skipped"] == 1.0
    assert all(torch.equal(a, b) for a, b in zip(disc_before, d.parameters()))
    assert all(torch.isfinite(v).all() for v in m.state_dict().values() if v.is_floating_point())
    assert gan_step(m, d, losses, og, od, good, c, DistInfo())["skipped"] == 0.0


def test_harmonic_warmup_silences_then_fades_in_the_head():
    from dataclasses import replace

    from rt_synth.kinds.rave.trainer import harmonic_head_scale

    c = replace(CONFIGS["tiny-harmonic-ddsp"], harmonic_warmup=100)
    assert [harmonic_head_scale(c, s) for s in (0, 99, 100, 125, 150, 10_000)] == [
        0.0, 0.0, 0.0, 0.5, 1.0, 1.0]
    assert harmonic_head_scale(CONFIGS["tiny-harmonic-ddsp"], 0) == 1.0  # no warm-up: on


@pytest.mark.parametrize("config", ["tiny-harmonic-ddsp", "tiny-harmonic-ddsp-warm"])
def test_train_the_ddsp_style_head_end_to_end(tiny_dataset, tmp_path, config):
    """tiny-harmonic-ddsp (head on f0, periodicity and loudness, with noise; timbre
    augmentation) trains through both phases and its checkpoint reconstructs finitely; the
    -warm variant (two Adam groups, per-step rates) also resumes from a checkpoint."""
    run = tmp_path / "run"
    if config.endswith("warm"):  # 3 steps, then resume: the two groups' state reloads
        assert main(["train", "rave", "--data", str(tiny_dataset), "--out", str(run), "--config",
                     config, "--steps", "3", "--phase2-step", "4"]) == 0
    assert main(["train", "rave", "--data", str(tiny_dataset), "--out", str(run), "--config",
                 config, "--steps", "6", "--phase2-step", "4"]) == 0
    payload = torch.load(run / "model.pt", weights_only=False)
    m = RaveModel.from_payload(payload).eval()
    x = torch.sin(torch.arange(8 * m.config.ratio) * 0.05)[None, None] * 0.2
    with torch.no_grad():
        y = m.reconstruct(x)
    assert y.shape == x.shape and torch.isfinite(y).all()
    assert float(y.abs().max()) > 0.0


def test_phase2_freezes_the_harmonic_head_and_trains_the_rest_of_the_decoder():
    """harmonic_freeze_phase2: the adversarial step leaves the head's weights (and Adam's
    moments, so no momentum step either) as phase 1 left them; the waveform path still
    trains."""
    from dataclasses import replace

    from rt_synth.kinds.rave.trainer import training_window

    torch.manual_seed(0)
    c = replace(CONFIGS["tiny-harmonic-ddsp"], harmonic_freeze_phase2=True, timbre_augment=0.0)
    m = RaveModel(c)
    d = Discriminators(c.disc_channels, c.disc_periods, c.disc_scales)
    og = torch.optim.Adam(list(m.encoder.parameters()) + list(m.decoder.parameters()))
    od = torch.optim.Adam(d.parameters())
    losses = RaveLosses(c)
    t = torch.arange(4 * c.train_samples, dtype=torch.float32)
    examples = (0.3 * torch.sin(2 * math.pi * 220.0 / c.sample_rate * t)).repeat(c.batch_size, 1)
    audio, pitch = training_window(examples, c.train_samples, c)
    vae_step(m, losses, og, audio, 1, c, DistInfo(), pitch)  # phase 1 moves the head
    head = m.decoder.harmonic_head
    head_before = [p.clone() for p in head.parameters()]
    head_ids = {id(p) for p in head.parameters()}
    rest_before = [p.clone() for p in m.decoder.parameters() if id(p) not in head_ids]
    for _ in range(2):
        assert gan_step(m, d, losses, og, od, audio, c, DistInfo(), pitch)["skipped"] == 0.0
    assert all(torch.equal(a, b) for a, b in zip(head_before, head.parameters()))
    rest_after = [p for p in m.decoder.parameters() if id(p) not in head_ids]
    assert any(not torch.equal(a, b) for a, b in zip(rest_before, rest_after))
    # without the flag the same steps move the head
    c2 = replace(c, harmonic_freeze_phase2=False)
    for _ in range(2):
        gan_step(m, d, losses, og, od, audio, c2, DistInfo(), pitch)
    assert any(not torch.equal(a, b) for a, b in zip(head_before, head.parameters()))


def test_band_dc_loss_sees_a_steady_band_offset_the_spectral_loss_barely_sees():
    """A constant 1e-3 in one band (after the synthesis filters, a steady tone at the band's
    edge) costs band_dc_weight * 1e-3 / M in the band term; a clean copy costs nothing."""
    from dataclasses import replace

    from rt_synth.kinds.rave.trainer import band_dc

    torch.manual_seed(0)
    c = replace(CONFIGS["tiny"], band_dc_weight=100.0)
    m = RaveModel(c)
    audio = torch.randn(2, 1, c.train_samples) * 0.1
    target, target_bands = RaveLosses(c).targets(audio, m.pqmf(audio))
    offset = torch.zeros_like(target_bands)
    offset[:, 3] = 1e-3
    assert float(band_dc(target_bands, target_bands)) == 0.0
    assert float(band_dc(target_bands + offset, target_bands)) == pytest.approx(1e-3 / c.n_bands)
    out = {"bands_in": m.pqmf(audio), "bands": target_bands + offset,
           "audio": m.pqmf.inverse(target_bands + offset)}
    _, with_dc = RaveLosses(c)(out, audio)
    _, without = RaveLosses(replace(c, band_dc_weight=0.0))(out, audio)
    assert float(with_dc - without) == pytest.approx(100.0 * 1e-3 / c.n_bands, rel=1e-4)


def test_the_head_learns_at_its_fraction_of_the_learning_rate():
    """harmonic_lr_scale: the head's parameters form a second Adam group at that fraction of
    the rate (one Adam step moves each parameter by about lr), the rest of the network a first
    group at the full rate; at 1 there is one group, as in runs trained before the key."""
    from dataclasses import replace

    from rt_synth.kinds.rave.trainer import generator_groups

    c = replace(CONFIGS["tiny-harmonic-ddsp"], harmonic_lr_scale=0.1, learning_rate=1e-2)
    torch.manual_seed(0)
    m = RaveModel(c)
    groups = generator_groups(m, c)
    head = m.decoder.harmonic_head
    assert len(groups) == 2 and groups[1]["lr"] == pytest.approx(1e-3)
    assert {id(p) for p in groups[1]["params"]} == {id(p) for p in head.parameters()}
    n_all = len(list(m.encoder.parameters())) + len(list(m.decoder.parameters()))
    assert len(groups[0]["params"]) + len(groups[1]["params"]) == n_all
    opt = torch.optim.Adam(groups, lr=c.learning_rate)
    before_head = head.out.conv.bias.detach().clone()
    before_conv = m.decoder.conv_in.conv.bias.detach().clone()
    for p in list(m.encoder.parameters()) + list(m.decoder.parameters()):
        p.grad = torch.ones_like(p)
    opt.step()  # Adam's first step moves each parameter by lr * sign(grad)
    assert torch.allclose(before_head - head.out.conv.bias, torch.full_like(before_head, 1e-3),
                          atol=1e-6)
    assert torch.allclose(before_conv - m.decoder.conv_in.conv.bias,
                          torch.full_like(before_conv, 1e-2), atol=1e-5)
    assert len(generator_groups(m, replace(c, harmonic_lr_scale=1.0))) == 1


def test_the_head_noise_starts_at_its_initial_bias():
    """harmonic_noise_bias sets the head's noise outputs' initial bias (and only those)."""
    from dataclasses import replace

    c = replace(CONFIGS["tiny-harmonic-ddsp"], harmonic_noise_bias=-2.0)
    torch.manual_seed(0)
    head = RaveModel(c).decoder.harmonic_head
    bias = head.out.conv.bias.detach()
    assert torch.all(bias[1 + c.harmonics:] == -2.0)
    assert not torch.any(bias[: 1 + c.harmonics] == -2.0)
    gains = head.noise_gains(bias[None, :, None])
    assert torch.allclose(gains, torch.full_like(gains, 2 * torch.sigmoid(torch.tensor(-2.0)) ** math.log(10) + 1e-7))


def test_the_heads_rate_rises_to_the_full_rate_over_its_warmup():
    from dataclasses import replace

    from rt_synth.kinds.rave.trainer import harmonic_lr_factor

    c = replace(CONFIGS["tiny-harmonic-ddsp"], harmonic_lr_scale=0.1, harmonic_lr_warmup=1000)
    assert [round(harmonic_lr_factor(c, s), 6) for s in (0, 500, 999, 1000, 50_000)] == [
        0.1, 0.55, 0.9991, 1.0, 1.0]
    assert harmonic_lr_factor(replace(c, harmonic_lr_warmup=0), 50_000) == 0.1  # scale throughout
    assert harmonic_lr_factor(CONFIGS["tiny-harmonic-ddsp"], 0) == 1.0


def test_the_rate_decays_over_the_end_of_phase_one_and_returns_in_phase_two():
    """phase1_lr_decay: the generator's rate falls linearly to phase1_lr_final over the last
    steps before phase2_step, then phase 2 trains at the full rate; the head's warm-up factor
    multiplies it; without the keys the rate is the config's at every step."""
    from dataclasses import replace

    from rt_synth.kinds.rave.trainer import generator_lr

    c = replace(CONFIGS["tiny-harmonic-ddsp"], learning_rate=1e-3, phase2_step=2000,
                phase1_lr_decay=1000, phase1_lr_final=0.1)
    lr = [generator_lr(c, s, False) for s in (0, 999, 1000, 1499, 1999, 2000, 5000)]
    assert lr == pytest.approx([1e-3, 1e-3, 1e-3 * (1 - 0.9 / 1000), 1e-3 * 0.55, 1e-4, 1e-3, 1e-3])
    w = replace(c, harmonic_lr_scale=0.1, harmonic_lr_warmup=100)
    assert generator_lr(w, 0, True) == pytest.approx(1e-4)  # head: warm-up
    assert generator_lr(w, 1999, True) == pytest.approx(1e-4)  # head: full rate x decay
    plain = CONFIGS["tiny-harmonic-ddsp"]
    assert {generator_lr(plain, s, g) for s in (0, 3, 10_000) for g in (False, True)} == {
        plain.learning_rate}
