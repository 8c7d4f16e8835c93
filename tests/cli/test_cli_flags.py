"""Every TrainConfig field is a `train` flag, generated from the field and its comment."""

from __future__ import annotations

from dataclasses import dataclass, fields

import pytest

from seqbucket._fielddoc import field_docs
from seqbucket.cli.app import build_parser
from seqbucket.cli.train import overrides_from_args
from seqbucket.train import TrainConfig
from seqbucket.train.config import resolve_config


def _parse(*argv: str):
    return build_parser().parse_args(["train", *argv])


def _train_help() -> str:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sub.choices["train"].format_help()  # type: ignore[union-attr]


def test_every_field_has_a_flag_with_its_comment_and_default() -> None:
    text = " ".join(_train_help().split())
    docs = field_docs(TrainConfig)
    for f in fields(TrainConfig):
        if f.name == "data":
            assert "DATA" in text
            continue
        flag = "--" + f.name.replace("_", "-")
        assert flag in text, flag
        # the first words of the "why" comment appear as the flag's help
        assert " ".join(docs[f.name].help.split()[:4]) in text, f.name
    # one "(default: ...)" per field, the positional DATA included
    assert text.count("(default:") == len(fields(TrainConfig))


def test_flags_reach_the_config_with_their_types() -> None:
    args = _parse(
        "plaid", "--weight-decay", "0", "--warmup-steps", "5", "--schedule", "constant",
        "--grad-clip", "none", "--no-standardize", "--device", "cpu", "--threads", "2",
        "--max-tokens", "4000", "--patience", "none", "--mode", "chunk",
    )  # fmt: skip
    config = resolve_config(overrides_from_args(args))
    assert config.data == "plaid"
    assert config.weight_decay == 0.0 and isinstance(config.weight_decay, float)
    assert config.warmup_steps == 5
    assert config.schedule == "constant"
    assert config.grad_clip is None and config.patience is None
    assert config.standardize is False
    assert (config.device, config.threads, config.max_tokens) == ("cpu", 2, 4000)
    assert config.lm_mode == "chunk"


def test_flags_not_given_leave_a_config_file_alone(tmp_path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[optim]\nlr = 0.01\n[run]\nthreads = 2\n[model]\nkind = "gru"\n')
    config = resolve_config(overrides_from_args(_parse("--lr", "0.02")), config_file=path)
    assert (config.lr, config.threads, config.model) == (0.02, 2, "gru")


def test_max_steps_alone_lifts_the_epoch_bound() -> None:
    config = resolve_config(overrides_from_args(_parse("--max-steps", "7")))
    assert (config.max_steps, config.epochs) == (7, None)


def test_toml_sections_follow_the_section_headers(tmp_path) -> None:
    config = TrainConfig(model="gru", batching="random", lr=0.01)
    text = config.to_toml()
    assert '[model]\nkind = "gru"' in text
    assert '[batching]\nstrategy = "random"' in text
    path = tmp_path / "c.toml"
    path.write_text(text)
    assert TrainConfig.from_toml(path) == config


def test_bad_flag_values_are_usage_errors(cli) -> None:
    result = cli("train", "--lr", "fast")
    assert result.returncode == 2
    assert "invalid float value: 'fast'" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_undocumented_field_is_caught() -> None:
    @dataclass(frozen=True)
    class Bare:
        # -- run --
        seed: int = 0

    with pytest.raises(ValueError, match=r"Bare\.seed"):
        field_docs(Bare)
