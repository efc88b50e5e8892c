"""Shared test configuration.

Tests run on the database the settings choose: SQLite by default, PostgreSQL when
``DATABASE_URL`` is set. Tests marked ``postgres`` need real parallel transactions and are
skipped on SQLite. With ``CI`` set, hypothesis draws the same examples on every run.
"""

import os

import pytest
from django.db import connection
from hypothesis import settings

# CI runs the property tests on a fixed sequence of examples, so that a run can be repeated;
# a developer's run explores new examples each time (and keeps failures in .hypothesis/).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_collection_modifyitems(config, items):
    on_postgres = connection.vendor == "postgresql"
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)
