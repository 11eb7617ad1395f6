"""The synthetic region generator (`aos synth`): a canonical extract (SPEC §1) of a Swedish-like
region with its ground truth. See docs/synthetic-data.md."""
from .generator import Options, run

__all__ = ["Options", "run"]
