"""A network and its orders as column tables, and their CSV exchange format (no Django).

The same tables feed the database importer, the exporter, ``downline calc`` and ``downline
synth``, so every path validates and formats data one way. See ``docs/csv-format.md``.
"""

from .tables import (
    MEMBER_KINDS,
    ORDER_KINDS,
    STATUSES,
    Network,
    Orders,
    PlacementShape,
)

__all__ = ["MEMBER_KINDS", "ORDER_KINDS", "STATUSES", "Network", "Orders", "PlacementShape"]
