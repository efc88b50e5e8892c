"""Memos as message keys with parameters, rendered in the reader's language.

Both columns are nullable and have no default, so SQLite adds them with ALTER TABLE (its
append-only trigger stays in place). Existing rows are not filled in: the ledger is append-only
(triggers refuse UPDATE), and ``Transaction.text`` recognises the English memos the platform
wrote before keys existed and renders them in the reader's language.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0002_append_only_and_balanced"),
    ]

    operations = [
        migrations.AddField(
            model_name="transaction",
            name="memo_key",
            field=models.CharField(
                blank=True,
                help_text="the memo as a message key, rendered in the reader's language",
                max_length=60,
                null=True,
                verbose_name="memo key",
            ),
        ),
        migrations.AddField(
            model_name="transaction",
            name="memo_params",
            field=models.JSONField(blank=True, null=True, verbose_name="memo parameters"),
        ),
    ]
