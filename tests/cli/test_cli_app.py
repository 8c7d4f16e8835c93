"""The entry point's own contract: user errors, Ctrl-C and a closed pipe never print a traceback."""

from __future__ import annotations

import argparse

import pytest

from seqbucket.cli import app as cli_app
from seqbucket.errors import DataError


def _parser_running(func):
    def build() -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser(prog="seqbucket")
        parser.set_defaults(func=func)
        return parser

    return build


def _raise(exc: BaseException):
    def func(args: argparse.Namespace) -> int:
        raise exc

    return func


@pytest.mark.parametrize(
    ("exc", "code", "line"),
    [
        (KeyboardInterrupt(), 130, "seqbucket: interrupted"),
        (DataError("x.ts line 3: expected 2 channels, got 3"), 2, "seqbucket: error: x.ts line 3"),
        (OSError(28, "No space left on device", "/full/run"), 2, "No space left on device"),
    ],
)
def test_errors_become_one_line(monkeypatch, capsys, exc, code, line):
    monkeypatch.setattr(cli_app, "build_parser", _parser_running(_raise(exc)))
    assert cli_app.main([]) == code
    err = capsys.readouterr().err
    # Invariant: one line on stderr, no traceback, and it says what happened.
    assert err.count("\n") == 1 and "Traceback" not in err
    assert line in err


def test_closed_pipe_exits_141_quietly(cli_popen):
    # `seqbucket inspect plaid | head -0`: the reader is gone before the first write (start-up
    # takes seconds). Reading a line first would race: a block-buffered stdout may write all of
    # its output at exit, before the reader leaves. Invariant: no traceback or message, and
    # exit 141 (128 + SIGPIPE) so `set -o pipefail` sees the cut.
    proc = cli_popen("inspect", "plaid", text=False)
    assert proc.stdout is not None and proc.stderr is not None
    with proc.stderr:
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 141, err
    assert err == ""


def test_no_command_prints_help_and_exits_2(cli):
    proc = cli(timeout=60)
    assert proc.returncode == 2
    assert "usage: seqbucket" in proc.stdout
