"""Search a distributor's contacts through a trigram index, scoped by owner first (PostgreSQL).

``search_text`` and ``tag_text`` are lower-case keys without diacritics (``contacts.search``);
a search is ``owner_id = … AND search_text LIKE '%word%'`` for each word, and a tag filter is
``tag_text LIKE '%|tag|%'``. One GIN index over ``(owner_id, search_text gin_trgm_ops,
tag_text gin_trgm_ops)`` (``btree_gin`` puts the owner in it) answers all three: PostgreSQL
intersects the owner's entries with the words' trigrams instead of reading the owner's whole
list. Erased contacts are left out of it, as out of every list. SQLite keeps the owner's
B-tree index (``contacts_owner_activity``) and scans one owner's rows.
"""

from django.db import migrations

INDEX = "contacts_owner_search_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON contacts_contact USING gin "
        "(owner_id, search_text gin_trgm_ops, tag_text gin_trgm_ops) WHERE erased_at IS NULL"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
