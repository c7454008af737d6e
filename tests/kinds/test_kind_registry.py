"""The kind registry: every kind the CLI, export and bench reach is registered once, and a
kind rt-synth does not know gets an error naming the file and the kinds it knows."""
import argparse

import pytest

from rt_synth.errors import UserError
from rt_synth.kinds import ModelKind, get_kind, kind_names
from rt_synth.kinds.registry import KIND_MODULES


def test_each_registered_kind_names_itself():
    assert kind_names() == ["ddsp", "rave", "effect"]
    for name in kind_names():
        kind = get_kind(name)
        assert isinstance(kind, ModelKind)
        assert kind.name == name
        assert KIND_MODULES[name] == f"rt_synth.kinds.{name}.kind"


def test_an_unknown_kind_names_the_file_and_the_known_kinds():
    with pytest.raises(UserError) as e:
        get_kind("tape-echo", "models/x.rtsynth")
    msg = str(e.value)
    assert "models/x.rtsynth" in msg and "'tape-echo'" in msg
    assert all(k in msg for k in kind_names())


def test_train_has_one_subcommand_per_kind_with_its_own_options():
    from rt_synth.cli import train_cmd

    parser = argparse.ArgumentParser()
    train_cmd.register(parser.add_subparsers())
    for name in kind_names():
        args = parser.parse_args(["train", name, "--data", "d", "--out", "o"])
        assert args.kind == name and args.config == get_kind(name).default_train_config
    assert parser.parse_args(["train", "ddsp", "--data", "d", "--out", "o", "--init", "w"]).init == "w"
    assert parser.parse_args(["train", "rave", "--data", "d", "--out", "o",
                              "--phase2-step", "7"]).phase2_step == 7
    with pytest.raises(SystemExit):  # an option of the other kind is refused
        parser.parse_args(["train", "rave", "--data", "d", "--out", "o", "--init", "w"])


def test_export_of_an_unknown_kind_is_refused_by_name(tmp_path):
    import torch

    from rt_synth.cli.export_cmd import export_model

    ckpt = tmp_path / "odd.pt"
    torch.save({"kind": "tape-echo", "config": {}, "state_dict": {}}, ckpt)
    with pytest.raises(UserError, match="'tape-echo'"):
        export_model(str(ckpt), str(tmp_path / "out"))
    assert not list(tmp_path.glob("out*"))
