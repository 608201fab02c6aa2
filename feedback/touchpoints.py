"""What GSA's Touchpoints accepts for OMB Circular A-11 Section 280: headers, values, vocabularies.

Agencies submit their CX data to OMB through Touchpoints. These are its rules as written in its
source; the code that applies them is ours.

Matched GSA/touchpoints at commit 03c9abb9233f2ae246ed3835498bf71027f67a56
(app/controllers/admin/cx_collection_details_controller.rb upload_csv; app/models/cx_collection_detail.rb),
with app/models/cx_collection_detail_upload.rb#process_csv, app/models/form.rb#to_a11_v2_csv,
db/seeds/forms/a11_v2.rb and the API schema in spec/swagger_helper.rb (CxCollectionDetailAttributes,
CxResponseAttributes) of the same repository.

* **Per-response upload**, one per collection detail: the extension must be ``.csv``; the header
  *set* must be exactly :data:`RESPONSE_HEADERS` (compared sorted, as plain strings after Ruby's CSV
  parse of the raw bytes, so a UTF-8 byte-order mark would become part of ``external_id`` and fail);
  every data row becomes one response, and ``volume_of_respondents`` is the file's row count.
* ``question_1``: thumbs survey ``1`` = thumbs up, ``0`` = thumbs down; 5-point (Likert) ``1``..``5``.
* Driver columns: ``1`` chosen, ``0`` offered by the form (in either follow-up question) but not
  chosen, the literal string ``null`` when the form does not offer it; never empty.
  Effectiveness, ease and efficiency are ``0|1`` only (:data:`REQUIRED_DRIVERS`), the others may be
  ``null``. ``question_4`` is the comment (may be empty); ``external_id`` our response id.
* A **collection detail** is one service x transaction point x channel in a quarter, with the
  vocabularies :data:`TRANSACTION_POINTS`, :data:`CHANNELS` and :data:`SURVEY_TYPES`.
"""

from __future__ import annotations

from feedback.scales import DRIVERS

SIDES = ("positive", "negative")
# In Touchpoints' own export order (Form#to_a11_v2_csv); the upload compares the set.
RESPONSE_HEADERS = (
    "external_id",
    "question_1",
    *(f"{side}_{driver}" for side in SIDES for driver in DRIVERS),
    "question_4",
)
NOT_OFFERED = "null"  # a driver the survey does not offer: "not applicable for this collection"
REQUIRED_DRIVERS = ("effectiveness", "ease", "efficiency")  # enum 0|1: never "null"

# "OMB Circular A-11 Section 280 lists three types of customer feedback survey": a counter
# survey right after the visit is post-interaction.
TRANSACTION_POINTS = ("post_interaction", "post_service_journey", "relational")
TRANSACTION_POINT = "post_interaction"

# Service.channels, the API's enum, in Touchpoints' order.
CHANNELS = (
    "computer",
    "mobile",
    "email",
    "chatbot",
    "phone",
    "automated_phone",
    "in_person",
    "paper",
    "postal_mail",
    "fax",
    "self_service_kiosk",
    "other_non_digital",
    "website",
    "mobile_app",
    "live_chat",
    "sms_text_messages",
    "social_media",
    "other_digital",
)
# Our channel -> Touchpoints' by default (a location may choose another from CHANNELS).
DEFAULT_CHANNELS = {"kiosk": "self_service_kiosk", "qr": "mobile"}

# The two response scales A-11 allows for the trust question, by our scale key.
SURVEY_TYPES = {"thumbs": "thumbs_up_down", "faces5": "likert_scale"}

# A survey version's A-11 role: built from the A-11 v2 template (trust question, thumbs or 5-point,
# the drivers as follow-up, a comment on the phone), so its answers go into the A-11 files.
A11_V2 = "a11_v2"
ROLES = (A11_V2,)

# db/seeds/forms/a11_v2.rb, question 1 (answer_01), with [Agency] to fill in.
AGENCY = "[Agency]"
TRUST_QUESTION_TEMPLATE = (
    "Based on my experience [Agency]'s Service, I trust [Agency] to deliver on their mission for the American public."
)
TRUST_QUESTION_TEMPLATE_ES = (
    "Según mi experiencia con el servicio de [Agency], confío en que [Agency] cumpla su misión "
    "para el pueblo estadounidense."
)
# The visitor languages after English and Spanish, written for meaning: "the American public"
# as each community says it, and worded so the agency's name needs no grammatical agreement
# (Korean particles, Arabic verb gender).
TRUST_QUESTION_TEMPLATES = {
    "en": TRUST_QUESTION_TEMPLATE,
    "es": TRUST_QUESTION_TEMPLATE_ES,
    "zh": "根据我接受[Agency]服务的经历，我相信[Agency]能够履行其服务美国公众的使命。",
    "vi": (
        "Dựa trên trải nghiệm của tôi với dịch vụ của [Agency], tôi tin tưởng [Agency] sẽ hoàn thành "
        "sứ mệnh phục vụ công chúng Hoa Kỳ."
    ),
    "ko": "[Agency] 서비스를 이용한 제 경험에 비추어 볼 때, 저는 미국 국민을 위한 [Agency]의 사명 수행을 신뢰합니다.",
    "tl": (
        "Batay sa aking karanasan sa serbisyo ng [Agency], nagtitiwala ako na tutuparin ng [Agency] "
        "ang misyon nito para sa publikong Amerikano."
    ),
    "ar": "بناءً على تجربتي مع خدمة [Agency]، أثق في قدرة [Agency] على أداء مهمتها تجاه الجمهور الأمريكي.",
}


def trust_question(agency: str) -> dict[str, str]:
    """The template's trust question with the agency's name, in every visitor language."""
    name = agency.strip()
    return {code: text.replace(AGENCY, name) for code, text in TRUST_QUESTION_TEMPLATES.items()}


def template(agency: str, scale: str = "thumbs") -> dict:
    """A new survey's content from the A-11 v2 template: the trust question with the agency's name
    (``[Agency]`` stays when none is given, and saving then asks for it), thumbs or 5 points, every
    driver as follow-up, the A-11 role. The phone survey always offers the comment (question 4)."""
    question = trust_question(agency or AGENCY)
    return {
        "scale": scale if scale in SURVEY_TYPES else "thumbs",
        **{f"question_{code}": text for code, text in question.items()},
        "followup_choices": list(DRIVERS),
        "a11_role": A11_V2,
    }


def question_1(scale: str, rating: int) -> str:
    """Our stored rating (1..points, worst to best) as Touchpoints reads ``question_1``.

    Thumbs are stored 1 = down, 2 = up and read 0 = down, 1 = up; the 5-point scale is 1..5 both ways.
    Other scales have no A-11 value: asking for one is a programming error.
    """
    if scale == "thumbs":
        return {1: "0", 2: "1"}[rating]
    if scale == "faces5" and 1 <= rating <= 5:
        return str(rating)
    raise ValueError(f"rating {rating} on scale {scale} has no A-11 question_1 value")


def driver_cells(offered_by_survey: frozenset[str], side: str, chosen: frozenset[str]) -> tuple[str, ...]:
    """The 14 driver cells of one response: its follow-up was asked on ``side`` (the wording its
    rating got) and ``chosen`` there; ``offered_by_survey`` are the version's follow-up choices."""
    cells = []
    for column_side in SIDES:
        for driver in DRIVERS:
            if column_side == side and driver in chosen:
                cells.append("1")
            elif driver in offered_by_survey:
                cells.append("0")
            else:
                cells.append(NOT_OFFERED)
    return tuple(cells)
