"""Customer volumes: upsert with audit, and the all-or-nothing CSV import with per-line errors."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from feedback.database import write_retrying, write_transaction
from feedback.models import AuditEntry, CustomerVolume
from feedback.services import volumes
from feedback.services.actors import CLI
from feedback.services.errors import InvalidInput
from feedback.services.fiscal import FiscalQuarter

Q1 = FiscalQuarter.parse("FY2027Q1")
HEADER = (
    "location_code,fiscal_year,quarter,channel,volume_of_customers,volume_of_customers_provided_survey_opportunity\n"
)


def _count(session, model):
    session.rollback()
    return session.scalar(select(func.count()).select_from(model))


def _entry(location, customers, offered, channel="kiosk", quarter=Q1):
    return volumes.Entry(location.id, quarter, channel, volumes.Figures(customers, offered))


def test_upsert_creates_then_updates_and_audits_each_change(session, build, make_user):
    location = build.location(code="HOU-C1")
    user = make_user("boss@example.gov")
    with write_transaction(session):
        assert volumes.upsert(session, user, _entry(location, 1200, 900)) == {
            "volume_of_customers": [None, 1200],
            "volume_of_customers_provided_survey_opportunity": [None, 900],
        }
    with write_transaction(session):
        assert volumes.upsert(session, user, _entry(location, 1250, 900)) == {"volume_of_customers": [1200, 1250]}
    with write_transaction(session):
        assert volumes.upsert(session, CLI, _entry(location, 1250, 900)) == {}  # unchanged: no entry
    stored = session.scalars(select(CustomerVolume)).one()
    assert (
        stored.fiscal_year,
        stored.quarter,
        stored.channel,
        stored.volume_of_customers,
        stored.volume_of_customers_provided_survey_opportunity,
        stored.updated_by,
    ) == (2027, 1, "kiosk", 1250, 900, "boss@example.gov")
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor, e.target_type, e.target_id) for e in entries] == [
        ("volume.create", "boss@example.gov", "location", location.id),
        ("volume.update", "boss@example.gov", "location", location.id),
    ]
    assert entries[1].details == {
        "quarter": "FY2027Q1",
        "channel": "kiosk",
        "source": "form",
        "volume_of_customers": [1200, 1250],
    }


def test_empty_figures_make_no_row_and_clearing_one_is_audited(session, build):
    location = build.location()
    with write_transaction(session):
        assert volumes.upsert(session, CLI, _entry(location, None, None, "qr")) == {}
    assert _count(session, CustomerVolume) == 0
    with write_transaction(session):
        volumes.upsert(session, CLI, _entry(location, 10, 5, "qr"))
    with write_transaction(session):
        assert volumes.upsert(session, CLI, _entry(location, None, 5, "qr")) == {"volume_of_customers": [10, None]}
    assert session.scalar(select(CustomerVolume.volume_of_customers)) is None  # not known, never 0
    assert session.scalars(select(AuditEntry.actor)).all() == ["cli", "cli"]


@pytest.mark.parametrize(
    ("customers", "offered", "field"),
    [
        (10, 11, "volume_of_customers_provided_survey_opportunity"),
        (-1, None, "volume_of_customers"),
        (None, volumes.MAX_VOLUME + 1, "volume_of_customers_provided_survey_opportunity"),
    ],
)
def test_upsert_refuses_impossible_figures(session, build, customers, offered, field):
    location = build.location()
    with pytest.raises(InvalidInput) as refused, write_transaction(session):
        volumes.upsert(session, CLI, _entry(location, customers, offered))
    assert field in refused.value.errors
    assert _count(session, CustomerVolume) == 0 and _count(session, AuditEntry) == 0


def test_import_stores_nothing_when_any_line_is_wrong(session, build, make_user):
    a = build.location(code="AAA-1")
    build.location(code="BBB-1")
    user = make_user("manager@example.gov", "manager", locations=[a])
    text = HEADER + (
        "AAA-1,2027,1,kiosk,1200,1100\n"  # fine
        "BBB-1,2027,1,kiosk,10,5\n"  # outside the scope: reported like an unknown code
        "AAA-1,2027,5,phone,12x,\n"  # quarter, channel and volume wrong
        "\n"  # blank lines are skipped
        "NOPE-9,2027,1,qr,1,2\n"  # unknown code, and offered > served is only checked once the rest is fine
        "AAA-1,2027,1,qr,5,9\n"  # offered > served
        "AAA-1,2027,1,kiosk,1,1\n"  # same key as line 2
        "AAA-1,2027\n"  # too few cells
    )
    with pytest.raises(volumes.ImportRejected) as rejected, write_transaction(session):
        volumes.import_csv(session, user, text, scope={a.id})
    assert rejected.value.detail == "6 line(s) have errors; nothing was stored."
    assert [(row.line, row.messages) for row in rejected.value.rows] == [
        (3, ["location_code: unknown location BBB-1."]),
        (
            4,
            [
                "quarter: 5 is not between 1 and 4.",
                "channel: phone is not one of kiosk, qr.",
                "volume_of_customers: '12x' is not a whole number.",
            ],
        ),
        (6, ["location_code: unknown location NOPE-9."]),
        (7, ["volume_of_customers_provided_survey_opportunity: Cannot be more than the customers served."]),
        (8, ["The same location, quarter and channel as line 2."]),
        (9, ["2 cells; expected 6."]),
    ]
    assert _count(session, CustomerVolume) == 0 and _count(session, AuditEntry) == 0


def test_import_upserts_every_line_with_an_audit_entry(session, build):
    a = build.location(code="AAA-1")
    with write_transaction(session):
        volumes.upsert(session, CLI, _entry(a, 1, 1))
    # Any column order, a BOM, upper-case channel, thousands separators, an empty figure.
    text = (
        "\ufeffchannel,location_code,quarter,fiscal_year,volume_of_customers_provided_survey_opportunity,"
        "volume_of_customers\r\n"
        'KIOSK,aaa-1,1,2027,"1,100","1,200"\r\n'
        "qr,AAA-1,1,2027,300,\r\n"
        "qr,AAA-1,2,2027,40,50\r\n"
    )
    with write_transaction(session):
        result = volumes.import_csv(session, CLI, text, scope=None)
    assert result == volumes.ImportResult(rows=3, changed=3)
    stored = {
        (v.quarter, v.channel): (v.volume_of_customers, v.volume_of_customers_provided_survey_opportunity)
        for v in session.scalars(select(CustomerVolume))
    }
    assert stored == {(1, "kiosk"): (1200, 1100), (1, "qr"): (None, 300), (2, "qr"): (50, 40)}
    details = [e.details for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))][1:]
    assert [(d["quarter"], d["channel"], d["source"]) for d in details] == [
        ("FY2027Q1", "kiosk", "import"),
        ("FY2027Q1", "qr", "import"),
        ("FY2027Q2", "qr", "import"),
    ]
    with write_transaction(session):
        assert volumes.import_csv(session, CLI, text, scope=None).changed == 0  # the same file again


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty."),
        (HEADER, "The file has a header but no rows."),
        (
            "location_code,fiscal_year,quarter,channel,volume_of_customers\nA,2027,1,qr,1\n",
            "Missing column(s): volume_of_customers_provided_survey_opportunity.",
        ),
        (HEADER.strip() + ",notes\n", "Unknown column(s): notes."),
    ],
)
def test_import_checks_the_header(session, text, message):
    entries, errors = volumes.parse_import(session, text, scope=None)
    assert entries == [] and errors[0].line == 1 and errors[0].messages[0] == message


def test_an_upload_that_is_not_utf8_is_refused():
    with pytest.raises(volumes.ImportRejected, match="not UTF-8"):
        volumes.decode_upload("caf\xe9".encode("latin-1"))
    assert volumes.decode_upload("\ufeffa,b".encode("utf-8")) == "a,b"


def test_an_insert_that_hits_the_unique_key_is_retried_in_a_fresh_transaction(session, build):
    """``write_retrying``: two managers saving the same new point at once on PostgreSQL both find
    no row, and the second insert hits the unique key. Here a real unique violation is raised in
    the first pass (two rows for one key); that pass is rolled back whole and the work runs again
    in a new transaction, where it stores the figures once.
    """
    location = build.location(code="AAA-1")
    passes = []

    def work():
        passes.append(len(passes) + 1)
        if len(passes) == 1:
            existing = session.scalar(select(CustomerVolume))
            assert existing is None
            # Two rows for one key, as the two requests would insert: a real unique violation.
            session.add(
                CustomerVolume(
                    location_id=location.id,
                    fiscal_year=2027,
                    quarter=1,
                    channel="kiosk",
                    volume_of_customers=10,
                    updated_by="other",
                )
            )
            session.flush()
            session.add(
                CustomerVolume(
                    location_id=location.id,
                    fiscal_year=2027,
                    quarter=1,
                    channel="kiosk",
                    volume_of_customers=1200,
                    updated_by="cli",
                )
            )
            session.flush()
        return volumes.upsert(session, CLI, _entry(location, 1200, 1100))

    assert write_retrying(session, work) == {
        "volume_of_customers": [None, 1200],
        "volume_of_customers_provided_survey_opportunity": [None, 1100],
    }
    assert passes == [1, 2]  # the failed pass left nothing behind: the second made the one row
    (row,) = session.scalars(select(CustomerVolume)).all()
    assert (row.volume_of_customers, row.volume_of_customers_provided_survey_opportunity) == (1200, 1100)


def test_an_actor_read_before_the_change_is_fine(session, build, make_user):
    """The actor object may be expired (a commit or rollback since it was loaded): reloading it must
    not flush the new row before it has its ``updated_by`` (found by tests/reporting/test_property.py)."""
    location = build.location(code="EXP-1")
    actor = make_user("expired@example.gov", "admin")
    session.rollback()
    session.expire_all()
    with write_transaction(session):
        changed = volumes.upsert(session, actor, volumes.Entry(location.id, Q1, "kiosk", volumes.Figures(0, 0)))
    assert changed == {
        "volume_of_customers": [None, 0],
        "volume_of_customers_provided_survey_opportunity": [None, 0],
    }


def test_import_errors_in_the_requests_language(app, session):
    """A Spanish browser reads the import's line errors in Spanish (the command line: English)."""
    text = HEADER + "ZZZ-9,2027,1,fax,12x,\n"
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "es"}):  # own g, as a request
        _, [error] = volumes.parse_import(session, text, scope=None)
    assert error.line == 2
    assert error.messages == [
        "location_code: ubicación desconocida ZZZ-9.",
        "channel: fax no es uno de kiosk, qr.",
        "volume_of_customers: '12x' no es un número entero.",
    ]
    _, [english] = volumes.parse_import(session, text, scope=None)
    assert english.messages[0] == "location_code: unknown location ZZZ-9."
