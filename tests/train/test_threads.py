"""The default thread count: the measured rule and where it applies."""

from __future__ import annotations

from seqbucket.train import TrainConfig
from seqbucket.train.threads import MACS_PER_THREAD, config_threads, step_macs, threads_for


def test_the_rule_gives_one_thread_to_small_steps_and_two_to_the_demo_on_two_cores():
    # BiLSTM 64, batch 16 -> 16 * 4 * 64 * 64 = 262,144 multiply-adds a step
    assert step_macs("lstm", 64, 16) == 262_144 < MACS_PER_THREAD
    assert threads_for("lstm", 64, 16, cores=2) == 1
    # the demo: BiLSTM 128, batch 16 -> 1,048,576
    assert threads_for("lstm", 128, 16, cores=2) == 2
    # PLAID LSTM 1x128, batch 32 -> 2,097,152
    assert threads_for("lstm", 128, 32, cores=2) == 2
    assert threads_for("lstm", 1024, 256, cores=8) == 8  # never more than the cores
    assert threads_for("rnn", 8, 1, cores=8) == 1  # never fewer than 1


def test_a_set_thread_count_wins_over_the_rule():
    assert config_threads(TrainConfig(threads=3)) == 3
    assert TrainConfig().threads is None  # the default is the rule
    assert config_threads(TrainConfig()) == threads_for("lstm", 128, 16)


def test_busy_cores_are_not_counted(monkeypatch):
    from seqbucket.train import threads

    monkeypatch.setattr(threads, "_CORES", 2)
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (0.2, 0.0, 0.0))
    assert threads.idle_cores() == 2 and threads_for("lstm", 128, 32) == 2
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (1.4, 0.0, 0.0))
    assert threads.idle_cores() == 1 and threads_for("lstm", 128, 32) == 1
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (9.0, 0.0, 0.0))
    assert threads.idle_cores() == 1  # never fewer than one
