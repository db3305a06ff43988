"""Example bodies of the create routes, in the OpenAPI document as their
schema's ``examples``: the API explorer (``/api/docs``) fills *Try it out*
with them, so that *Execute* files a case on the sample Hanoi directory (a
city's own directory may name other categories, wards and procedures).

Each is accepted as it stands by the real server on the sample directory, as
any caller of the route's first role (``tests/e2e/test_openapi.py``). The
routes whose body holds dates that must lie ahead (a consultation's window, a
dialogue session's day) have none: a fixed date would turn stale.
"""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta

from ihanoi_core.commands.alerts import DraftAlert
from ihanoi_core.commands.business import SubmitBusinessInquiry
from ihanoi_core.commands.command import CreateCommand
from ihanoi_core.commands.grievances import FileComplaint
from ihanoi_core.commands.questions import AskQuestion, DraftArticle
from ihanoi_core.commands.reports import SubmitReport
from ihanoi_core.commands.service_requests import SubmitDossier
from ihanoi_core.commands.surveys import CreateSurvey

PERSON = {"name": "Nguyễn Văn An", "national_id": "001099012345", "phone": "0912345678"}

EXAMPLES: dict[type[CreateCommand], dict[str, Any]] = {
    SubmitReport: {
        "category": "pothole",
        "description": "Ổ gà lớn trước số 12 Hàng Bài",
        "location": {"ward": "HOAN_KIEM", "address": "12 Hàng Bài", "latitude": 21.0245, "longitude": 105.8530},
    },
    FileComplaint: {
        "kind": "complaint",
        "subject": "Quyết định thu hồi đất số 12/QĐ-UBND",
        "content": "Tôi không đồng ý với mức bồi thường.",
        "respondent_agency": "UBND_HOAN_KIEM",
        "ward": "HOAN_KIEM",
        "complainant": PERSON,
    },
    SubmitDossier: {
        "procedure": "marriage_registration",
        "ward": "HOAN_KIEM",
        "applicant": {**PERSON, "address": "12 Hàng Bài, Hoàn Kiếm"},
        "documents": [{"name": "Tờ khai", "url": "https://files.example/to-khai.pdf", "sha256": "a" * 64}],
    },
    CreateSurvey: {
        "title": "Mức độ hài lòng với dịch vụ công trực tuyến",
        "questions": [{"id": "q1", "type": "rating", "text": "Anh/chị đánh giá thế nào?", "required": True}],
    },
    DraftAlert: {"template": "ngap_ung", "areas": [{"wards": ["HOAN_KIEM", "BA_DINH"]}]},
    SubmitBusinessInquiry: {
        "tax_code": "0100109106",
        "business_kind": "household",
        "topic": "tax_fees",
        "text": "Mức thuế khoán năm 2027 của hộ kinh doanh và cách kê khai doanh thu?",
    },
    AskQuestion: {"text": "Làm căn cước công dân cần giấy tờ gì?"},
    DraftArticle: {
        "title": "Đăng ký kết hôn cần giấy tờ gì?",
        "text": "Tờ khai đăng ký kết hôn và giấy tờ tùy thân của hai bên.",
        "legal_basis": "Luật Hộ tịch 2014, Điều 18",
        "source": "Bộ Tư pháp",
        "keywords": ["kết hôn"],
    },
}


def with_example(command_type: type[CreateCommand]) -> Any:
    """The body type of a create route, with its example where it has one."""
    example = EXAMPLES.get(command_type)
    return command_type if example is None else Annotated[command_type, Meta(examples=[example])]
