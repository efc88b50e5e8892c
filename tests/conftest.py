"""Shared test configuration.

Tests run on the database the settings choose: SQLite by default, PostgreSQL when
``DATABASE_URL`` is set. Tests marked ``postgres`` need real parallel transactions and are
skipped on SQLite.
"""

import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    on_postgres = connection.vendor == "postgresql"
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)
