"""answers per visitor language as a rollup (language_daily), filled from the stored responses

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 12:00:00.000000

"""
from collections import Counter
from datetime import UTC
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

CHUNK = 10000


def upgrade():
    op.create_table(
        'language_daily',
        sa.Column('location_id', sa.Integer(), nullable=False),
        sa.Column('local_date', sa.Date(), nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('suspect', sa.Boolean(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['location_id'], ['locations.id'], ),
        sa.PrimaryKeyConstraint('location_id', 'local_date', 'channel', 'suspect', 'language'),
    )
    _fill()


def _fill():
    """Count the responses the rollups count (folded, not spam) per local day of the office's zone,
    as ``rollups.apply`` does; pending rows are added by the next fold. Streamed, so a large table
    is read once in chunks, not held in memory."""
    bind = op.get_bind()
    zones = {
        loc_id: ZoneInfo(tz)
        for loc_id, tz in bind.execute(
            sa.text("SELECT l.id, o.timezone FROM locations l JOIN offices o ON o.id = l.office_id")
        )
    }
    responses = sa.table(
        'responses',
        sa.column('location_id', sa.Integer()),
        sa.column('client_time', sa.DateTime(timezone=True)),
        sa.column('channel', sa.String()),
        sa.column('suspect', sa.Boolean()),
        sa.column('language', sa.String()),
        sa.column('pending', sa.Boolean()),
        sa.column('comment_state', sa.String()),
    )
    query = sa.select(
        responses.c.location_id, responses.c.client_time, responses.c.channel, responses.c.suspect,
        responses.c.language,
    ).where(~responses.c.pending, responses.c.comment_state.is_distinct_from('spam'))
    counts = Counter()
    # On the statement, not the connection: alembic's own statements run on it after this one.
    for part in bind.execute(query.execution_options(yield_per=CHUNK)).partitions():
        for loc_id, when, channel, suspect, language in part:
            when = when.replace(tzinfo=UTC) if when.tzinfo is None else when  # SQLite keeps naive UTC
            counts[(loc_id, when.astimezone(zones[loc_id]).date(), channel, bool(suspect), language)] += 1
    table = sa.table(
        'language_daily', *(sa.column(c) for c in ('location_id', 'local_date', 'channel', 'suspect', 'language', 'n'))
    )
    rows = [
        dict(location_id=k[0], local_date=k[1], channel=k[2], suspect=k[3], language=k[4], n=n)
        for k, n in sorted(counts.items())
    ]
    for i in range(0, len(rows), CHUNK):
        bind.execute(table.insert(), rows[i:i + CHUNK])


def downgrade():
    op.drop_table('language_daily')
