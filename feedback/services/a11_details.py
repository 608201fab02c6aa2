"""The collection details of an A-11 quarter: what a detail holds and what is wrong with it.

Built by :func:`feedback.services.a11.report` from the database; written out by
:mod:`feedback.services.a11_files`. See :mod:`feedback.services.a11` for the rules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext

from feedback.models import CustomerVolume, Location, SurveyVersion
from feedback.scales import SCALES
from feedback.services.fiscal import FiscalQuarter
from feedback.touchpoints import (
    A11_V2,
    AGENCY,
    REQUIRED_DRIVERS,
    SURVEY_TYPES,
    TRANSACTION_POINT,
    TRUST_QUESTION_TEMPLATE,
)

VOLUME_FIELDS = ("volume_of_customers", "volume_of_customers_provided_survey_opportunity")
NOT_A11, OTHER_SCALE = "not_a11", "other_scale"


# --- which surveys are reportable --------------------------------------------------------------


def template_errors(
    scale: str, followup_choices: Collection[str] | None, question_en: str | None
) -> dict[str, list[str]]:
    """Why a version with this content cannot have the A-11 v2 role, keyed by survey form field
    (empty when it can): the one rule for the survey form, the write path and :func:`survey_status`."""
    errors: dict[str, list[str]] = {}
    if scale not in SURVEY_TYPES:
        points = SCALES[scale].points if scale in SCALES else "?"
        errors["scale"] = [
            gettext(
                "A %(points)s-point scale cannot be reported as A-11 question 1: "
                "A-11 allows thumbs up/down or a 5-point scale.",
                points=points,
            )
        ]
    missing = [d for d in REQUIRED_DRIVERS if d not in (followup_choices or ())]
    if missing:
        errors["followup_choices"] = [
            gettext("A-11 requires these follow-up choices: %(missing)s.", missing=", ".join(missing))
        ]
    text = question_en or ""
    if "trust" not in text.lower() or AGENCY in text:
        errors["question_en"] = [
            gettext(
                "The A-11 trust question, e.g. \u201c%(template)s\u201d, with %(agency)s replaced "
                "by your agency's name.",
                template=TRUST_QUESTION_TEMPLATE,
                agency=AGENCY,
            )
        ]
    return errors


def survey_status(version: SurveyVersion) -> str | None:
    """None when the version's answers go into the A-11 files, else why not (for people)."""
    errors = template_errors(version.scale, version.followup_choices, version.question.get("en", ""))
    if "scale" in errors:
        return gettext(
            "its %(points)s-point scale cannot be reported as A-11 question 1 "
            "(A-11 allows thumbs up/down or a 5-point scale)",
            points=SCALES[version.scale].points,
        )
    if version.a11_role != A11_V2:
        return gettext("it is not built from the A-11 v2 template (trust question), so it is not an A-11 survey")
    if errors:
        return (
            gettext("it does not follow the A-11 v2 template:")
            + " "
            + " ".join(m for ms in errors.values() for m in ms)
        )
    return None


def reportable(version: SurveyVersion) -> bool:
    return survey_status(version) is None


# --- collection details ------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class DetailKey:
    service_provider: str  # "" when not entered
    service: str  # "" when not entered
    transaction_point: str
    channel: str  # Touchpoints' vocabulary
    office_id: int = 0  # set only when a name is missing: unnamed services are not merged across offices


def detail_key(location: Location, channel: str) -> DetailKey:
    provider = location.office.service_provider or ""
    service = location.effective_service_provided or ""
    return DetailKey(
        provider,
        service,
        TRANSACTION_POINT,
        location.a11_channel(channel),
        0 if provider and service else location.office_id,
    )


@dataclass
class Pair:
    """One location and one of our channels in the quarter: what its responses and volumes say."""

    location: Location
    channel: str
    counted: dict[int, Counter] = field(default_factory=dict)  # version id -> Counter(rating -> n)
    last: dict[int, datetime] = field(default_factory=dict)  # version id -> latest counted client time
    suspects: int = 0
    spam: int = 0
    volume: CustomerVolume | None = None

    @property
    def label(self) -> str:
        return f"{self.location.code} {self.channel}"

    @property
    def answers(self) -> int:
        return sum(sum(c.values()) for c in self.counted.values())

    def figure(self, name: str) -> int | None:
        return getattr(self.volume, name) if self.volume is not None else None


@dataclass
class Detail:
    """One collection detail of the quarter: its counters, survey, counts, volumes and problems."""

    key: DetailKey
    quarter: FiscalQuarter
    pairs: list[Pair]
    version: SurveyVersion | None  # reported: answered last, else the counters' current A-11 version
    survey_title: str | None
    version_ids: list[int]  # the versions whose answers are in the upload file
    versions: dict[int, SurveyVersion]
    titles: dict[int, str]  # survey id -> name
    q1: Counter = field(default_factory=Counter)  # stored rating -> counted answers in the file
    left_out: Counter = field(default_factory=Counter)  # NOT_A11 / OTHER_SCALE -> counted answers
    elsewhere: list[str] = field(default_factory=list)  # same detail, outside the selection
    file_name: str = ""

    @property
    def scale(self) -> str | None:
        return self.version.scale if self.version is not None else None

    @property
    def survey_type(self) -> str | None:
        return SURVEY_TYPES.get(self.scale) if self.scale else None

    @property
    def respondents(self) -> int:
        return sum(self.q1.values())

    @property
    def suspects(self) -> int:
        return sum(p.suspects for p in self.pairs)

    @property
    def spam(self) -> int:
        return sum(p.spam for p in self.pairs)

    @property
    def locations(self) -> str:
        return "; ".join(p.label for p in self.pairs)

    def volume(self, name: str) -> int | None:
        """The sum over the detail's counters; None unless every one has the figure."""
        values = [p.figure(name) for p in self.pairs]
        known = [v for v in values if v is not None]
        return sum(known) if len(known) == len(values) else None

    def version_names(self) -> list[str]:
        """The versions in the upload file, as people name them: ``A-11 counter survey v2``."""
        found = sorted((self.titles[v.survey_id], v.version) for v in (self.versions[i] for i in self.version_ids))
        return [f"{title} v{number}" for title, number in found]

    def variants(self) -> dict[tuple, int]:
        """Counted answers per (scale, English question, follow-up set) over every A-11 version answered."""
        out: Counter = Counter()
        for pair in self.pairs:
            for version_id, ratings in pair.counted.items():
                version = self.versions[version_id]
                if reportable(version):
                    key = (version.scale, version.question.get("en", ""), tuple(sorted(version.followup_choices)))
                    out[key] += sum(ratings.values())
        return dict(out)

    def missing(self) -> list[str]:
        """Touchpoints figures nobody has entered yet (names of the collection's columns)."""
        names = []
        if not self.key.service_provider:
            names.append("cx_collection_service_provider_name")
        if not self.key.service:
            names.append("service_name")
        for name in VOLUME_FIELDS:
            if self.volume(name) is None:
                absent = [p.label for p in self.pairs if p.figure(name) is None]
                names.append(f"{name} ({', '.join(absent)})")
        if self.version is not None and not self.version.omb_control_number:
            names.append("omb_control_number")
        if self.version is not None and not self.version.federal_register_url:
            names.append("federal_register_url")
        return names

    def volume_problems(self) -> list[str]:
        """respondents <= offered <= served, for the detail and for each counter with figures."""
        out = []
        served, offered = (self.volume(name) for name in VOLUME_FIELDS)
        if offered is not None and self.respondents > offered:
            out.append(f"{self.respondents} respondents but only {offered} offered the survey (respondents > offered)")
        if served is not None and offered is not None and offered > served:
            out.append(f"{offered} offered the survey but only {served} served (offered > served)")
        for pair in self.pairs if len(self.pairs) > 1 else ():
            mine = sum(sum(pair.counted.get(v, Counter()).values()) for v in self.version_ids)
            pair_offered = pair.figure("volume_of_customers_provided_survey_opportunity")
            if pair_offered is not None and mine > pair_offered:
                out.append(f"{pair.label}: {mine} respondents but only {pair_offered} offered the survey")
        return out

    def problems(self) -> list[str]:
        """Everything to put right (or explain) before submitting, in words."""
        out = []
        if self.version is None:
            out.append("No A-11 survey: no counted answer to an A-11 survey and none asked now")
        missing = self.missing()
        if missing:
            out.append("Missing: " + ", ".join(missing))
        out.extend(self.volume_problems())
        variants = self.variants()
        if len(variants) > 1:
            parts = [f"{scale}, {question!r} ({n} answers)" for (scale, question, _f), n in sorted(variants.items())]
            out.append(
                f"The question changed this quarter: counted answers span {len(variants)} versions "
                f"(scale, text or follow-up): {'; '.join(parts)}"
            )
        if self.left_out[OTHER_SCALE]:
            out.append(
                f"{self.left_out[OTHER_SCALE]} answers on another scale left out "
                f"(this file reports the {self.survey_type} answers)"
            )
        if self.left_out[NOT_A11]:
            out.append(f"{self.left_out[NOT_A11]} answers to surveys that are not A-11 surveys left out")
        if self.elsewhere:
            out.append(
                f"Also in this collection detail but not in this selection: {', '.join(self.elsewhere)}; "
                "export them together (Touchpoints takes one file per detail)"
            )
        return out


@dataclass
class LeftOut:
    """A location and channel whose answers (or volumes) go into no file, and why."""

    pair: Pair
    reason: str


@dataclass
class Report:
    quarter: FiscalQuarter
    details: list[Detail]
    left_out: list[LeftOut]
    pairs: dict[tuple[int, str], Pair]
