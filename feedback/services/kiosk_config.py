"""What a kiosk needs to show its location's survey, in every language.

All visitor text comes from here: the survey version's question and the Babel
catalogues for everything else. The kiosk caches the result (with its ETag) so
it keeps working offline.
"""

from __future__ import annotations

import hashlib
import json

from flask_babel import force_locale, gettext

from feedback.database import DbSession
from feedback.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    N_,
    VISITOR_TEXT,
    html_lang,
    offered,
    text_direction,
)
from feedback.models import Device, Location, SurveyVersion
from feedback.scales import DRIVER_LABELS, SCALES

# The kiosk's own visitor text: time limits, the audio mode, and the staff status. Words in
# braces are filled in by the kiosk; translations keep them as they are.
KIOSK_TEXT = {
    "time_left": N_("Sending in {seconds} s. Touch the screen or press a key for more time."),
    "idle_warning": N_("Starting again in {seconds} s. Touch the screen or press a key to stay."),
    "audio": N_("Audio"),
    "audio_on": N_("Audio guide on."),
    "audio_help_question": N_(
        "Use the up and down arrows to hear the answers, and Enter to choose one. "
        "Press the help key to hear this again."
    ),
    "audio_help_followup": N_(
        "Use the up and down arrows to move, and Enter to tick or untick an answer. Choose Done when you have finished."
    ),
    "audio_item": N_("{label}, {position} of {total}"),
    "audio_ticked": N_("ticked"),
    "audio_unticked": N_("not ticked"),
    "audio_time_warning": N_("{seconds} seconds left. Press any key for more time."),
    "status_online": N_("online · {queued} queued"),
    "status_offline": N_("offline · {queued} queued"),
    "status_quarantined": N_("{count} held back"),
}
# Shown before the kiosk has its configuration (so before it knows its language): in every language.
BOOT_TEXT = {"starting": N_("Starting…"), "waiting": N_("Waiting for the network…")}


def texts(version: SurveyVersion, language: str) -> dict:
    """Every visitor-facing string of ``version`` in ``language``."""
    scale = SCALES[version.scale]
    with force_locale(language):
        out = {key: gettext(text) for key, text in {**VISITOR_TEXT, **KIOSK_TEXT}.items()}
        custom = (version.labels or {}).get(language)
        out["labels"] = list(custom) if custom else [gettext(label) for label in scale.labels]
        out["choices"] = {
            side: {key: gettext(DRIVER_LABELS[key][i]) for key in version.followup_choices or ()}
            for i, side in enumerate(("positive", "negative"))
        }
    out["question"] = version.question.get(language) or version.question[DEFAULT_LANGUAGE]
    out["language_name"] = LANGUAGE_NAMES[language]
    out["html_lang"] = html_lang(language)
    out["dir"] = text_direction(language)
    return out


def languages_for(location: Location, version: SurveyVersion) -> tuple[str, ...]:
    """The visitor languages this location offers: its office's choice, among those the survey
    version has a question in (a language without the survey's text is not offered)."""
    return tuple(code for code in offered(location.office.visitor_languages) if version.question.get(code))


def boot_texts() -> dict[str, dict[str, str]]:
    """The kiosk page's words before its configuration arrives, per language."""
    texts_by_language = {}
    for language in LANGUAGES:
        with force_locale(language):
            texts_by_language[language] = {key: gettext(text) for key, text in BOOT_TEXT.items()}
    return texts_by_language


def pra_notice(version: SurveyVersion) -> dict | None:
    if not version.omb_control_number:
        return None
    return {
        "omb_control_number": version.omb_control_number,
        "expiration": version.omb_expiration.isoformat() if version.omb_expiration else None,
        "burden_statement": version.burden_statement or "",
    }


def kiosk_config(session: DbSession, device: Device, *, timing: dict) -> dict:
    location = device.location
    version = location.survey.current_version()
    scale = SCALES[version.scale]
    languages = languages_for(location, version)
    return {
        "device": device.id,
        "location": {"code": location.code, "name": location.name, "office": location.office.name},
        "survey": {
            "version": version.id,
            "scale": scale.key,
            "points": scale.points,
            "positive_from": scale.positive_from,
            "followup": list(version.followup_choices or ()),
        },
        "languages": list(languages),
        "default_language": DEFAULT_LANGUAGE,
        "text": {language: texts(version, language) for language in languages},
        "pra": pra_notice(version),
        "timing": timing,
    }


def etag(config: dict) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:32]
