"""Shared test settings.

Hypothesis runs without per-example deadlines: CI has 2 busy cores, and a deadline there tests
the machine's load rather than our code.
"""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci")
