"""Recurrent models with shared parameters on padded batches, exact without packing.

Public API (everything else is private to its module):

- :class:`ModelConfig`, :func:`build_model`, :class:`SequenceModel`, :class:`Encoder`
- reference cells :class:`RNNCell`, :class:`GRUCell`, :class:`LSTMCell`
- the unshared baseline :class:`UnsharedRNN`
- :func:`masked_loss`, :func:`param_count`, :func:`param_breakdown`, :func:`flush_denormals`
  (and :func:`set_flush_denormal_all_threads`)
- the padded-batch gathers :func:`reverse_within_length`, :func:`pre_to_post`, :func:`post_to_pre`
"""

from seqbucket.models.cells import GRUCell, LSTMCell, RNNCell
from seqbucket.models.config import ModelConfig
from seqbucket.models.counting import param_breakdown, param_count
from seqbucket.models.denormal import (
    flush_denormals,
    flushing_denormals,
    set_flush_denormal_all_threads,
)
from seqbucket.models.encoder import Encoder
from seqbucket.models.fused import fused_encode
from seqbucket.models.loop import loop_encode
from seqbucket.models.losses import masked_loss
from seqbucket.models.model import SequenceModel, build_model
from seqbucket.models.packed import packed_encode
from seqbucket.models.reverse import post_to_pre, pre_to_post, reverse_within_length
from seqbucket.models.unshared import UnsharedRNN

__all__ = [
    "Encoder",
    "GRUCell",
    "LSTMCell",
    "ModelConfig",
    "RNNCell",
    "SequenceModel",
    "UnsharedRNN",
    "build_model",
    "flush_denormals",
    "flushing_denormals",
    "fused_encode",
    "loop_encode",
    "masked_loss",
    "packed_encode",
    "param_breakdown",
    "param_count",
    "post_to_pre",
    "pre_to_post",
    "reverse_within_length",
    "set_flush_denormal_all_threads",
]
