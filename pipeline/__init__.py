"""AOS monitor: population-scale monitoring of the Swedish SVF pathway for
serious non-specific symptoms that may be due to cancer (AOS)."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aos-monitor")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"
