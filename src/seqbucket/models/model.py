"""``SequenceModel`` (optional series normalisation and conv front end, the recurrent encoder,
optional pooling, task head) and ``build_model``."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from seqbucket._mask import lengths_to_mask
from seqbucket.models.config import ModelConfig
from seqbucket.models.encoder import Encoder
from seqbucket.models.frontend import ConvFrontEnd
from seqbucket.models.heads import TaskHead
from seqbucket.models.pooling import masked_mean_max, series_normalize
from seqbucket.models.reverse import to_post
from seqbucket.models.validate import check_inputs


class SequenceModel(nn.Module):
    """A recurrent model for one task on variable-length, padded batches.

    ``model(x, lengths, padding="post")`` returns logits: ``(B, C)`` classify, ``(B, T, C)``
    tag and lm (C = vocab_size for lm), ``(B,)`` regress. Inputs are checked first (see
    ``validate.py``); padding never changes a result (NOTE [exact masking without packing],
    NOTE [exact strided convolution]).

    The stages, each optional but the encoder: ``series_norm`` (per-sequence z-normalisation;
    the head also reads each sequence's scale, offset and length),
    ``frontend`` (strided convolutions; the encoder then reads ``(B, T', C)`` post-padded, with
    lengths mapped through each stride), ``encoder``, ``pooling`` (the head reads the final
    state beside the masked mean and max of the outputs), ``head``.
    ``model.encoder(x, lengths, padding=...)`` gives ``(outputs, final)`` of the recurrent part.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.frontend = (
            ConvFrontEnd(
                config.stage_input_size,
                config.frontend_channels,
                config.frontend_layers,
                config.frontend_kernel,
                config.frontend_stride,
                config.frontend_norm,
            )
            if config.frontend == "conv"
            else None
        )
        self.encoder = Encoder(config.encoder_config)
        width = self.encoder.output_size * (3 if config.pooling == "mean-max" else 1)
        if config.pooling == "mean-max" and self.frontend is not None:
            width += 2 * config.frontend_channels  # the front end's own features, pooled
        width += config.summary_size
        self.head_dropout = nn.Dropout(config.head_dropout)
        self.head = TaskHead(config.task, width, config.output_size)

    def forward(
        self, x: torch.Tensor, lengths: torch.Tensor, *, padding: str = "post"
    ) -> torch.Tensor:
        config = self.config
        if config.series_norm or self.frontend is not None:
            # The encoder checks what it reads; the user's own inputs are checked here.
            weight = self.head.proj.weight
            check_inputs(
                x, lengths, padding, input_size=config.input_size, vocab_size=None,
                dtype=weight.dtype, device=weight.device,
            )  # fmt: skip
        return self.stages(x, lengths, padding, self.encoder)

    def stages(
        self,
        x: torch.Tensor,
        lengths: torch.Tensor,
        padding: str,
        encode: Callable[[torch.Tensor, torch.Tensor, str], tuple[torch.Tensor, torch.Tensor]],
    ) -> torch.Tensor:
        """The forward pass once the inputs are checked, with ``encode(x, lengths, padding) ->
        (outputs, final)`` as the recurrent part: ``self.encoder`` in training, a path without
        data-dependent checks in an export (``train/export.py``). One definition of the order of
        the stages for both."""
        config = self.config
        summary = None
        if config.series_norm:
            raw = x
            x, summary = series_normalize(x, lengths, padding)  # (B, T, F), (B, 2F+1)
            if config.raw_channel:  # asinh: a kettle's amps and a charger's on one scale
                mask = lengths_to_mask(lengths, x.shape[1], padding).to(x.device).unsqueeze(-1)
                x = torch.cat([x, torch.asinh(raw) * mask.to(x.dtype)], dim=-1)  # (B, T, 2F)
        pooled = []
        if self.frontend is not None:
            x, lengths = self.frontend(to_post(x, lengths, padding), lengths)  # (B, T', C)
            padding = "post"
            if config.pooling == "mean-max":
                # A short path from the convolutions to the head (as in LSTM-FCN): what the
                # filters found anywhere in the sequence, not only what the recurrence kept.
                pooled.append(masked_mean_max(x, lengths, padding))  # (B, 2C)
        outputs, final = encode(x, lengths, padding)  # (B, T, H*D), (B, H*D)
        if config.pooling == "mean-max":
            final = torch.cat([final, masked_mean_max(outputs, lengths, padding), *pooled], -1)
        if summary is not None:
            final = torch.cat([final, summary], dim=-1)  # (B, head width)
        if config.head_dropout > 0 and config.task in ("classify", "regress"):
            final = self.head_dropout(final)  # identity in eval mode
        return self.head(outputs, final)


def build_model(config: ModelConfig) -> SequenceModel:
    """The model ``config`` describes, freshly initialised (seed with ``torch.manual_seed``)."""
    return SequenceModel(config)
