"""The shipped repeat curve of the noisy cut against its computation from scratch."""

from __future__ import annotations

import numpy as np

from seqbucket.batching import noise_table as nt
from seqbucket.batching._noise_values import NOISE_REPEAT


def test_shipped_values_match_the_computation():
    rho, shipped = nt.noise_table()
    assert rho.shape == shipped.shape == (nt.GRID_SIZE,) == (len(NOISE_REPEAT),)
    # Summation order may differ across numpy builds: equal to far below the planner's 1e-12
    # comparisons, not necessarily bit for bit.
    assert np.allclose(shipped, nt.compute_noise_table(), rtol=1e-12, atol=1e-15)
    assert np.array_equal(rho, np.geomspace(nt.GRID_LO, nt.GRID_HI, nt.GRID_SIZE))


def test_curve_is_a_probability_falling_like_two_thirds_over_rho():
    rho, r = nt.noise_table()
    assert np.all((r > 0) & (r <= 1)) and np.all(np.diff(r) <= 1e-15)
    mid = (rho > 4) & (rho < 100)  # wide noise, still resolved by the 4001-point quadrature
    assert np.allclose(r[mid] * rho[mid], 2 / 3, rtol=0.05)


def test_table_is_read_only_and_the_module_text_round_trips():
    _, r = nt.noise_table()
    assert not r.flags.writeable
    namespace: dict[str, object] = {}
    exec(nt.render_module(r), namespace)
    assert np.array_equal(np.array(namespace["NOISE_REPEAT"]), r)
