"""The guided flow of a chat thread and the channels' webhook bodies, without I/O."""

from __future__ import annotations

import pytest

from ihanoi_core.channels.flow import HELP, Inbound, next_step
from ihanoi_core.channels.payloads import messenger_deliveries, zalo_delivery
from ihanoi_core.errors import ValidationError
from tests.channel_payloads import messenger_event, zalo_event

CATEGORIES = [("garbage", "Rác thải không được thu gom"), ("pothole", "Ổ gà, hư hỏng mặt đường")]


def test_the_flow_goes_category_location_photo_confirm_and_files() -> None:
    # Step: start, with a description.
    started = next_step("idle", {}, Inbound("text", text="Phản ánh: ổ gà trước nhà"), CATEGORIES)
    assert (started.step, started.draft) == ("category", {"description": "ổ gà trước nhà"})
    assert "2. Ổ gà" in started.replies[0]
    # Step: a category by number or by name without diacritics.
    chosen = next_step("category", started.draft, Inbound("text", text="o ga, hu hong mat duong"), CATEGORIES)
    assert (chosen.step, chosen.draft["category"]) == ("location", "pothole")
    # Step: a shared location resolved to a ward; one outside the city is asked again.
    outside = next_step("location", chosen.draft, Inbound("location", latitude=10.7, longitude=106.6), CATEGORIES)
    assert outside.step == "location"
    located = next_step("location", chosen.draft, Inbound("location", latitude=21.0, longitude=105.8, ward="HK"),
                        CATEGORIES)  # fmt: skip
    assert (located.step, located.draft["ward"]) == ("photo", "HK")
    # Step: a photo, then confirm.
    photographed = next_step("photo", located.draft, Inbound("image", attachment="https://x/p.jpg"), CATEGORIES)
    assert photographed.step == "confirm"
    assert "phường HK, có ảnh" in photographed.replies[0]
    confirmed = next_step("confirm", photographed.draft, Inbound("text", text="Đồng ý"), CATEGORIES)
    assert confirmed.file
    assert confirmed.extra["photo"] == "https://x/p.jpg"
    assert confirmed.step == "idle"


def test_cancelling_drops_the_draft_and_a_sticker_gets_the_help() -> None:
    assert next_step("photo", {"category": "pothole"}, Inbound("text", text="Huỷ"), CATEGORIES).draft == {}
    assert next_step("idle", {}, Inbound("sticker", attachment="https://x/s.png"), CATEGORIES).replies == (HELP,)
    assert next_step("idle", {}, Inbound("text", text="Xin chào!"), CATEGORIES).replies == (HELP,)


def test_a_link_code_and_a_question_are_handed_to_the_application() -> None:
    assert next_step("category", {}, Inbound("text", text="Liên kết 12345678"), CATEGORIES).link_code == "12345678"
    asked = next_step("idle", {}, Inbound("text", text="Phí đăng ký hộ kinh doanh?"), CATEGORIES)
    assert asked.question == "Phí đăng ký hộ kinh doanh?"


def test_zalo_bodies_in_their_documented_shapes_are_read() -> None:
    located = zalo_delivery(zalo_event("u1", "m1", "location", latitude=21.02, longitude=105.85))
    assert located is not None
    assert (located.user, located.message_id, located.message.kind) == ("u1", "m1", "location")
    assert (located.message.latitude, located.message.longitude) == (21.02, 105.85)
    image = zalo_delivery(zalo_event("u1", "m2", "image", url="https://photo.zadn.vn/a.jpg"))
    assert image is not None
    assert image.message.attachment == "https://photo.zadn.vn/a.jpg"
    assert zalo_delivery({**zalo_event("u1", "m3", "text", text="x"), "event_name": "follow"}) is None
    with pytest.raises(ValidationError):
        zalo_delivery({**zalo_event("u1", "m4", "text", text="x"), "timestamp": "yesterday"})
    with pytest.raises(ValidationError):
        zalo_delivery({**zalo_event("u1", "m5", "text", text="x"), "message": "not an object"})


def test_messenger_bodies_skip_echoes_and_refuse_other_objects() -> None:
    body = messenger_event("psid", "mid-1", text="xin chào")
    [delivery] = messenger_deliveries(body)
    assert (delivery.channel, delivery.user, delivery.message.text) == ("messenger", "psid", "xin chào")
    body["entry"][0]["messaging"][0]["message"]["is_echo"] = True
    assert messenger_deliveries(body) == []
    with pytest.raises(ValidationError):
        messenger_deliveries({"object": "instagram", "entry": []})
