"""The guided flow of a chat conversation: category → location → photo → confirm.

``next_step(step, draft, message, categories)`` decides, from the thread's
current step and draft and one message received, the next step and draft,
the replies to queue and what the application must do: file the report
(``file``), link the thread with a code (``link_code``) or look a question up
in the Q&A switchboard (``question``). Pure: the application resolves the
ward of a shared location beforehand and does the filing, linking and
answering itself.

Replies are in Vietnamese, the language of the channel's users; the words a
user may type are matched without diacritics ("phan anh" is "phản ánh").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

START_WORDS = ("phan anh", "bao cao", "report")
YES_WORDS = ("co", "dong y", "gui", "yes", "ok")
NO_WORDS = ("khong", "huy", "no", "cancel")
SKIP_WORDS = ("bo qua", "skip", "khong co anh")
GREETINGS = ("xin chao", "chao", "alo", "hello", "hi", "help", "giup", "huong dan")
LINK = re.compile(r"^\s*(?:lien ket|link)\s+(\d{8})\s*$")
MAX_DESCRIPTION = 2000

HELP = (
    "Xin chào! Gõ 'phản ánh <nội dung>' để gửi phản ánh hiện trường, đặt câu hỏi để được giải đáp, "
    "hoặc 'liên kết <mã>' với mã trong ứng dụng iHanoi để theo dõi phản ánh của bạn."
)


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message as the flow reads it (``ward``: of the shared location, if any)."""

    kind: str
    text: str | None = None
    attachment: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    ward: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    step: str
    draft: dict[str, Any]
    replies: tuple[str, ...] = ()
    file: bool = False
    link_code: str | None = None
    question: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def folded(text: str) -> str:
    """Lower case without diacritics (đ → d), spaces collapsed."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    plain = "".join(char for char in decomposed if unicodedata.category(char) != "Mn")
    return " ".join(plain.split())


def category_menu(categories: Sequence[tuple[str, str]]) -> str:
    lines = [f"{number}. {name}" for number, (_, name) in enumerate(categories, start=1)]
    return "Chọn loại phản ánh (gõ số):\n" + "\n".join(lines)


def next_step(step: str, draft: Mapping[str, Any], message: Inbound, categories: Sequence[tuple[str, str]]) -> Decision:
    """What one message does to the flow (module docstring)."""
    text = (message.text or "").strip()
    words = folded(text)
    if message.kind == "text" and (found := LINK.match(words)):
        return Decision(step, dict(draft), link_code=found.group(1))
    if message.kind == "text" and words in NO_WORDS and step != "idle":
        return Decision("idle", {}, ("Đã huỷ phản ánh đang soạn.",))
    if step == "idle":
        return _idle(text, words, message, categories)
    if step == "category":
        return _category(words, draft, categories)
    if step == "location":
        if message.kind == "location" and message.ward is not None:
            located = {**draft, "latitude": message.latitude, "longitude": message.longitude, "ward": message.ward}
            return Decision("photo", located, ("Gửi một ảnh hiện trường, hoặc gõ 'bỏ qua'.",))
        if message.kind == "location":
            return Decision(step, dict(draft), ("Vị trí này ở ngoài địa bàn Hà Nội; hãy chia sẻ lại vị trí.",))
        return Decision(step, dict(draft), ("Hãy chia sẻ vị trí hiện trường (nút Vị trí của Zalo/Messenger).",))
    if step == "photo":
        if message.kind == "image" and message.attachment:
            photographed = {**draft, "photo": message.attachment}
            return Decision("confirm", photographed, (_summary(photographed, categories),))
        if message.kind == "text" and words in SKIP_WORDS:
            return Decision("confirm", dict(draft), (_summary(draft, categories),))
        return Decision(step, dict(draft), ("Gửi một ảnh hiện trường, hoặc gõ 'bỏ qua'.",))
    if step == "confirm":
        if message.kind == "text" and words in YES_WORDS:
            return Decision("idle", {}, file=True, extra=dict(draft))
        return Decision(step, dict(draft), ("Gõ 'có' để gửi phản ánh, hoặc 'huỷ' để bỏ.",))
    return Decision("idle", {}, (HELP,))


def _idle(text: str, words: str, message: Inbound, categories: Sequence[tuple[str, str]]) -> Decision:
    if message.kind != "text" or not text or words.strip("!.? ") in GREETINGS:
        return Decision("idle", {}, (HELP,))
    for start in START_WORDS:
        if re.match(rf"{start}\b", words):
            description = text[len(start) :].strip(" :,-") if len(text) > len(start) else ""
            draft = {"description": description[:MAX_DESCRIPTION]}
            return Decision("category", draft, (category_menu(categories),))
    return Decision("idle", {}, question=text)


def _category(words: str, draft: Mapping[str, Any], categories: Sequence[tuple[str, str]]) -> Decision:
    chosen = None
    if words.isdigit() and 1 <= int(words) <= len(categories):
        chosen = categories[int(words) - 1]
    else:
        chosen = next((entry for entry in categories if folded(entry[0]) == words or folded(entry[1]) == words), None)
    if chosen is None:
        return Decision("category", dict(draft), (category_menu(categories),))
    located = {**draft, "category": chosen[0]}
    return Decision("location", located, (f"Loại: {chosen[1]}. Hãy chia sẻ vị trí hiện trường.",))


def _summary(draft: Mapping[str, Any], categories: Sequence[tuple[str, str]]) -> str:
    names = dict(categories)
    photo = "có ảnh" if draft.get("photo") else "không ảnh"
    # The user's own words, echoed to confirm: a reply is personal data (sealed like the messages).
    said = f" «{draft['description'][:300]}»" if draft.get("description") else ""
    return (
        f"Phản ánh: {names.get(draft.get('category', ''), draft.get('category'))}{said}, phường {draft.get('ward')}, "
        f"{photo}. Gõ 'có' để gửi, 'huỷ' để bỏ."
    )
