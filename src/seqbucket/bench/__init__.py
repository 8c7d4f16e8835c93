"""Measurements behind ``benchmarks/``.

- ``bench.live_peers``: the peers' own samplers (Hugging Face, Lhotse; the ``peers`` extra) run
  on a lengths array; ``bench.peers``: re-implementations, only a fallback where those are absent.
- ``bench.frontier``: the padding/randomness plane on which seqbucket's plans are compared with
  them (``benchmarks/batching_frontier.py``).
- ``bench.encoder_speed``: encoder training-step speed (``benchmarks/encoder_speed.py``).

Import the submodules directly; nothing heavy (torch models) is imported here.
"""
