"""``downline calc`` and ``downline plan``: the engine over CSV files, and plan tooling.

Pure like the engine: no Django. The CSV format comes from :mod:`downline.dataset`, the
computation from :mod:`downline.engine`.
"""

TABLE_FORMATS = ("csv", "parquet")
"""The formats of the lines and distributors tables (``--format``)."""
