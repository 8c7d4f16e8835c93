"""Measurements behind ``benchmarks/``.

- ``bench.peers`` / ``bench.frontier``: peers' samplers re-implemented, and the padding/randomness
  plane on which seqbucket's plans are compared with them (``benchmarks/batching_frontier.py``).
- ``bench.encoder_speed``: encoder training-step speed (``benchmarks/encoder_speed.py``).

Import the submodules directly; nothing heavy (torch models) is imported here.
"""
