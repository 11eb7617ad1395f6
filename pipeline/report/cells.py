"""Every count shown anywhere in the report, registered once under a key, so that
disclosure control is decided once and applied alike in every output.

A key is (quantity, period, group_type, group). A period is a month 'YYYY-MM' or a
range 'YYYY-MM/YYYY-MM'. Groups are additive relations (total = sum of members).
`Cells` lives in `pipeline.disclosure` (the one table -> disclosed cells path, also used by
evaluate and the notebook API); this module keeps the report's name for it.
"""
from __future__ import annotations

from ..disclosure import Cells, Key

__all__ = ["Cells", "Key"]
