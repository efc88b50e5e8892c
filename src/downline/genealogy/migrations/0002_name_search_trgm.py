"""Indexes for the back office's tree search on PostgreSQL (nothing on SQLite).

The search (``web.selectors.search_downline``) matches ``name`` case-insensitively anywhere
(Django's ``icontains``: ``UPPER(name::text) LIKE UPPER('%…%')``) and ``member_id`` by prefix
(``member_id::text LIKE '…%'``). A B-tree cannot serve a pattern with a leading ``%``; a
trigram GIN index on exactly that expression can (extension ``pg_trgm``, shipped with
PostgreSQL). The member id prefix gets a trigram index too, so an upper- or lower-case prefix
is served the same way whatever the database collation.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = (
    (
        "distributor_name_trgm",
        "CREATE INDEX IF NOT EXISTS distributor_name_trgm ON genealogy_distributor "
        "USING gin ((UPPER(name::text)) gin_trgm_ops)",
    ),
    (
        "distributor_member_id_trgm",
        "CREATE INDEX IF NOT EXISTS distributor_member_id_trgm ON genealogy_distributor "
        "USING gin ((member_id::text) gin_trgm_ops)",
    ),
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _name, sql in INDEXES:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _sql in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("genealogy", "0001_initial")]

    operations = [TrigramExtension(), migrations.RunPython(create, drop)]
