"""Offices, surveys, locations and kiosks for a benchmark, made through the same audited services
as the admin site and the command line (the actor is "bench"), so a benchmark measures data the
product could hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from feedback.models import Device, Location, Office, Survey
from feedback.services import hours, kiosks, locations, offices, surveys
from feedback.services.actors import SystemActor

BENCH = SystemActor("bench")
LINK_TTL = timedelta(hours=1)


def _percent(share: float | None) -> str | None:
    return None if share is None else f"{share * 100:g}"


class Sites:
    """Makes what a benchmark needs in the caller's transaction; offices once per name."""

    def __init__(self, session: Session):
        self.session = session
        self.now = datetime.now(UTC)
        self._offices: dict[str, Office] = {}

    def survey(self, name: str, scale: str, **content) -> Survey:
        fields = surveys.content(scale=scale, **content)
        return surveys.create_survey(self.session, BENCH, name=name, fields=fields)

    def office(self, name: str, tz: str, *, target: float | None = None, public: bool = False) -> tuple[Office, bool]:
        """The office called ``name`` (made with weekday hours, ``target`` and ``public`` if new)."""
        if name in self._offices:
            return self._offices[name], False
        office = offices.create_office(
            self.session,
            BENCH,
            name=name,
            timezone=tz,
            opening_hours=hours.WEEKDAY_HOURS,
            csat_target_percent=_percent(target),
            scoreboard_public=public,
        )
        self._offices[name] = office
        return office, True

    def location(
        self, code: str, office: Office, survey: Survey, *, target: float | None = None, weekly: int | None = None
    ) -> Location:
        return locations.create_location(
            self.session,
            BENCH,
            code=code,
            name=f"Counter {code}",
            office_id=office.id,
            survey_id=survey.id,
            csat_target_percent=_percent(target),
            weekly_response_target=weekly,
        )

    def kiosk(self, location: Location, label: str = "") -> tuple[Device, str]:
        """A kiosk and its bearer token."""
        made = kiosks.enroll_kiosk(self.session, BENCH, self.now, location.id, label, ttl=LINK_TTL)
        return made.device, made.token

    def kiosk_link(self, location: Location) -> str:
        """A kiosk's one-time enrolment code (the browser benchmark opens its link)."""
        return kiosks.enroll_kiosk(self.session, BENCH, self.now, location.id, "", ttl=LINK_TTL).code
