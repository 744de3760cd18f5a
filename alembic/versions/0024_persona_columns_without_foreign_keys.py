"""persona columns without foreign keys: a customer's persona, their earlier persona and their
persona history name personas, and the history its customers, without a foreign key

Each check of those keys read and locked the row it named (`FOR KEY SHARE`), about 14 µs each,
and the fold makes one or two for every identify naming a persona: folding 200k events of
customers with personas, the history's INSERT of 10,087 rows ran 42 ms and its checks 290 ms;
without the four keys the fold took 18.6 / 20.0 µs of PostgreSQL's CPU an event against 31.0 /
34.4 µs. What the keys guarded is kept otherwise, as migration 0008 did for customers and their
workspace:

- the fold writes a customer row before their history, in the same transaction, and names only
  personas it finds in the same statement (domain.customer.service.record_personas);
- deleting a persona takes the workspace's fold lock first (domain.persona.service.delete), so
  no fold writes the persona while its references are cleared;
- deleting a workspace deletes its customers' history before its customers, by the trigger
  that deletes those (the cascade from customers did it until now).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-08 00:45:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, name, columns, referred table, referred columns, on delete)
KEYS = (
    (
        "customer_persona",
        "fk_customer_persona_workspace_id_customer_id_customer",
        ["workspace_id", "customer_id"],
        "customer",
        ["workspace_id", "id"],
        "CASCADE",
    ),
    (
        "customer_persona",
        "fk_customer_persona_workspace_id_persona_id_persona",
        ["workspace_id", "persona_id"],
        "persona",
        ["workspace_id", "id"],
        None,
    ),
    (
        "customer",
        "fk_customer_workspace_id_persona_id_persona",
        ["workspace_id", "persona_id"],
        "persona",
        ["workspace_id", "id"],
        None,
    ),
    (
        "customer",
        "fk_customer_workspace_id_earlier_persona_id_persona",
        ["workspace_id", "earlier_persona_id"],
        "persona",
        ["workspace_id", "id"],
        None,
    ),
)

FORGET = """
CREATE OR REPLACE FUNCTION forget_workspace_customers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {history}DELETE FROM customer WHERE workspace_id = OLD.id;
    RETURN OLD;
END $$
"""
HISTORY = "DELETE FROM customer_persona WHERE workspace_id = OLD.id;\n    "


def upgrade() -> None:
    for table, name, *_ in KEYS:
        op.drop_constraint(name, table, type_="foreignkey")
    op.execute(FORGET.format(history=HISTORY))


def downgrade() -> None:
    op.execute(FORGET.format(history=""))
    for table, name, columns, referred, referred_columns, ondelete in KEYS:
        op.create_foreign_key(name, table, referred, columns, referred_columns, ondelete=ondelete)
