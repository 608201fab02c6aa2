"""What a printed counter poster shows: office, counter, the question in each language the
counter offers its visitors (its office's languages that its survey has a question in, as the
phone page offers them), the QR code and the short address written out for people who cannot scan."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from feedback.database import DbSession
from feedback.models import Location, Office
from feedback.services import qr, survey_links
from feedback.services.kiosk_config import languages_for, texts


@dataclass(frozen=True)
class Poster:
    office: str
    location: str
    code: str
    languages: tuple[str, ...]  # English first, then the office's other visitor languages
    questions: dict[str, str]
    calls: dict[str, str]  # "Scan to tell us how we did" per language
    url: str
    short_url: str
    qr_svg: str


def poster(session: DbSession, location: Location, public_url: str) -> Poster:
    link = survey_links.current_link(session, location)
    url = qr.survey_url(public_url, link.slug)
    version = location.survey.current_version()
    languages = languages_for(location, version)
    by_language = {lang: texts(version, lang) for lang in languages}
    return Poster(
        office=location.office.name,
        location=location.name,
        code=location.code,
        languages=languages,
        questions={lang: t["question"] for lang, t in by_language.items()},
        calls={lang: t["poster_call"] for lang, t in by_language.items()},
        url=url,
        short_url=url.split("://", 1)[-1],
        qr_svg=qr.svg_inline(url),
    )


def office_locations(session: DbSession, office: Office, location_ids: set[int]) -> list[Location]:
    """The office's active locations that are in ``location_ids`` (the user's scope), by code."""
    return list(
        session.scalars(
            select(Location)
            .where(Location.office_id == office.id, Location.active.is_(True), Location.id.in_(location_ids))
            .order_by(Location.code)
        )
    )


def office_posters(session: DbSession, office: Office, public_url: str, location_ids: set[int]) -> list[Poster]:
    """Posters of the office's active locations that are in ``location_ids`` (the user's scope)."""
    return [poster(session, location, public_url) for location in office_locations(session, office, location_ids)]
