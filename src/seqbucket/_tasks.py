"""The one definition of the tasks, of the ignore index, of the over-length policies and of the
model kinds.

Every package (data, batching, models, train) names these; they are defined here once so that a
new task or policy is added in one place.
"""

from __future__ import annotations

# classify: one label per sequence (many-to-one); tag: one label per step (many-to-many);
# lm: next-token prediction on token ids; regress: one real value per sequence.
TASKS = ("classify", "tag", "lm", "regress")
PER_STEP_TASKS = ("tag", "lm")  # targets have one entry per step, padded with IGNORE_INDEX
IGNORE_INDEX = -100  # the default of torch.nn.functional.cross_entropy
# What happens to a sequence longer than a limit: stop with an error naming how many, leave it
# out, or cut it to the limit.
OVERLONG_POLICIES = ("error", "drop", "truncate")
# The recurrent cells, and the model kinds: a shared cell, or the unshared per-step baseline.
CELL_KINDS = ("rnn", "gru", "lstm")
MODEL_KINDS = (*CELL_KINDS, "unshared")
