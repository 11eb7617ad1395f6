"""AOS monitor: population-scale monitoring of the Swedish SVF pathway for
serious non-specific symptoms that may be due to cancer (AOS)."""

# The one place the version is set (pyproject.toml reads it: dynamic = ["version"]).
__version__ = "0.2.0"
