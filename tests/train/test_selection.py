"""The best-epoch rule and the validation fields of an epoch record."""

from __future__ import annotations

from seqbucket.train.selection import epoch_score, validation_fields


def test_classify_prefers_accuracy_then_the_lower_loss():
    early = epoch_score("classify", {"accuracy": 1.0, "loss": 0.01}, 98)
    later = epoch_score("classify", {"accuracy": 1.0, "loss": 0.02}, 300)
    worse = epoch_score("classify", {"accuracy": 0.97, "loss": 0.001}, 400)
    assert early > later > worse


def test_regress_and_lm_go_by_the_loss_alone():
    for task in ("regress", "lm"):
        assert epoch_score(task, {"loss": 0.5, "accuracy": 0.1}, 1) > epoch_score(
            task, {"loss": 0.6, "accuracy": 0.9}, 2
        )


def test_without_validation_the_latest_step_wins():
    assert epoch_score("classify", None, 20) > epoch_score("classify", None, 14)


def test_validation_fields_name_each_task_s_metric():
    assert validation_fields({"loss": 1.0, "accuracy": 0.5, "macro_f1": 0.4}) == {
        "val_loss": 1.0,
        "val_accuracy": 0.5,
        "val_macro_f1": 0.4,
    }
    assert validation_fields({"loss": 2.0, "rmse": 0.3}) == {"val_loss": 2.0, "val_rmse": 0.3}
    lm = validation_fields({"loss": 3.0, "accuracy": 0.2, "perplexity": 20.1})
    assert lm["val_perplexity"] == 20.1
