"""The table of the database cache (``downline_cache``): rate-limit counters and cached figures
when no Redis is configured (settings ``CACHES``). Created here, whatever ``CACHES`` says, so
``downline demo``, the tests and production all have it after ``migrate``."""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

TABLE = "downline_cache"


def create_cache_table(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, dry_run=False)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_user_email_verified_securityevent")]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
