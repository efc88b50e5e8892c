"""Database guarantees of the ledger.

PostgreSQL: entries and transactions are append-only (a statement trigger refuses UPDATE and
DELETE), and after every INSERT statement into entries each transaction it touched must sum to
zero per currency. SQLite: entries and transactions refuse UPDATE (the sum is checked by
``ledger.posting.post``; DELETE stays possible there because the test runner empties tables
with it).
"""

from django.db import migrations

PG_FORWARD = """
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger table % is append-only: post a correcting transaction instead',
        TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_transaction_append_only BEFORE UPDATE OR DELETE ON ledger_transaction
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE FUNCTION ledger_entries_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT e.transaction_id, a.currency, SUM(e.amount) AS total INTO bad
    FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id
    WHERE e.transaction_id IN (SELECT DISTINCT transaction_id FROM new_entries)
    GROUP BY e.transaction_id, a.currency HAVING SUM(e.amount) <> 0
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance in %: its entries sum to %',
            bad.transaction_id, bad.currency, bad.total
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_entry
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_balance();
"""

PG_BACKWARD = """
DROP TRIGGER ledger_entry_balanced ON ledger_entry;
DROP FUNCTION ledger_entries_balance();
DROP TRIGGER ledger_transaction_append_only ON ledger_transaction;
DROP TRIGGER ledger_entry_append_only ON ledger_entry;
DROP FUNCTION ledger_append_only();
"""

SQLITE_FORWARD = [
    """CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE ON ledger_entry
       BEGIN SELECT RAISE(ABORT, 'ledger table ledger_entry is append-only'); END""",
    """CREATE TRIGGER ledger_transaction_append_only BEFORE UPDATE ON ledger_transaction
       BEGIN SELECT RAISE(ABORT, 'ledger table ledger_transaction is append-only'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER ledger_entry_append_only",
    "DROP TRIGGER ledger_transaction_append_only",
]


def forward(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(PG_FORWARD)
        else:
            for statement in SQLITE_FORWARD:
                cursor.execute(statement)


def backward(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(PG_BACKWARD)
        else:
            for statement in SQLITE_BACKWARD:
                cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
