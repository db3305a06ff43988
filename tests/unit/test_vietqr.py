"""The VietQR encoder/decoder against published payloads (byte for byte,
CRC included), an independent parser (``vietnam-qr-pay``) and a QR reader
(``zxing-cpp``) that decodes the images we draw."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image
from vietnam_qr_pay import QRPay

from ihanoi_core.payments.qr_image import data_url, render
from ihanoi_core.payments.vietqr import VietQR, VietQRError, crc16, parse_tlv, purpose_text

# Published examples: the vietnam-qr-pay README (a dynamic and a static code)
# and the subiz/vietqr README (a dynamic code to VietinBank).
PUBLISHED = [
    (
        VietQR(bank_bin="970416", account="257678859", amount=1000, purpose="Chuyen tien"),
        "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA5303704540410005802VN"
        "62150811Chuyen tien6304BBB8",
    ),
    (
        VietQR(bank_bin="970416", account="257678859"),
        "00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA53037045802VN6304AE9F",
    ),
    (
        VietQR(bank_bin="970415", account="0011001932418", amount=120000, purpose="ung ho lu lut"),
        "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN"
        "62170813ung ho lu lut6304C15C",
    ),
]


@pytest.mark.parametrize(("code", "published"), PUBLISHED)
def test_reproduces_published_payloads_byte_for_byte(code: VietQR, published: str) -> None:
    assert code.encode() == published
    assert VietQR.decode(published) == code


def test_crc_is_ccitt_false() -> None:
    # The CRC-16/CCITT-FALSE check value of the catalogue of parametrised CRCs.
    assert crc16(b"123456789") == "29B1"


@pytest.mark.parametrize(("code", "published"), PUBLISHED)
def test_an_independent_parser_reads_what_we_write(code: VietQR, published: str) -> None:
    ours = VietQR(bank_bin="970436", account="0011004123456", amount=350000, purpose="IHN TT261206483920")
    for payload, expected in ((code.encode(), code), (ours.encode(), ours)):
        parsed = QRPay(payload)
        assert parsed.is_valid
        assert parsed.consumer.bank_bin == expected.bank_bin
        assert parsed.consumer.bank_number == expected.account
        assert parsed.amount == (str(expected.amount) if expected.amount is not None else None)
        assert (parsed.additional_data.purpose or None) == expected.purpose


def test_a_payload_the_other_parser_writes_decodes_here() -> None:
    theirs = QRPay.init_viet_qr(bank_bin="970436", bank_number="1234567890", amount="100000", purpose="Le phi HS")
    assert VietQR.decode(theirs.build()) == VietQR("970436", "1234567890", 100000, "Le phi HS")


def test_a_wrong_crc_or_a_cut_payload_is_refused() -> None:
    good = PUBLISHED[0][1]
    with pytest.raises(VietQRError, match="CRC"):
        VietQR.decode(good[:-4] + "0000")
    with pytest.raises(VietQRError):
        VietQR.decode(good[:20])
    with pytest.raises(VietQRError, match="cut short"):
        parse_tlv("0005ab")


def test_non_ascii_and_bad_values_are_refused() -> None:
    with pytest.raises(VietQRError, match="ASCII"):
        VietQR("970436", "123", 1000, "Lệ phí").encode()
    with pytest.raises(VietQRError, match="BIN"):
        VietQR("97043", "123").encode()
    with pytest.raises(VietQRError, match="positive"):
        VietQR("970436", "123", 0).encode()


def test_purpose_text_drops_marks() -> None:
    assert purpose_text("Lệ phí hồ sơ Đăng ký – HS-261206") == "Le phi ho so Dang ky HS26"


@pytest.mark.parametrize("image_format", ["png", "svg"])
def test_the_image_decodes_back_to_the_payload(image_format: str) -> None:
    payload = VietQR("970436", "0011004123456", 350000, "IHN TT261206483920").encode()
    if image_format == "png":
        image: Image.Image = Image.open(io.BytesIO(render(payload, "png")))
    else:
        svg = render(payload, "svg").decode()
        assert svg.startswith("<svg")
        assert "<title>VietQR</title>" in svg
        assert data_url(payload).startswith("data:image/svg+xml;base64,")
        image = rasterise(svg)
    found = zxingcpp.read_barcodes(image)
    assert [barcode.text for barcode in found] == [payload]


def rasterise(svg: str, pixels: int = 4) -> Image.Image:
    """The modules segno's SVG path draws (``M x y``, ``m dx dy``, ``h n``:
    a run of n dark modules on row y), painted as a bitmap for the reader."""
    size = int(re.search(r'width="(\d+)"', svg).group(1)) // int(re.search(r"scale\((\d+)\)", svg).group(1))  # type: ignore[union-attr]
    path = re.search(r' d="([^"]+)"', svg).group(1)  # type: ignore[union-attr]
    image = Image.new("L", (size * pixels, size * pixels), 255)
    x = y = 0.0
    for command, first, second in re.findall(r"([Mmh])(-?[\d.]+)(?:\s(-?[\d.]+))?", path):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            row, start, run = int(y), int(x), int(float(first))
            box = (start * pixels, row * pixels, (start + run) * pixels, (row + 1) * pixels)
            image.paste(0, box)
            x += float(first)
    return image
