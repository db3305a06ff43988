"""Vietnamese text as the switchboard reads it: folding (đ→d, every tone and
vowel mark, either tone placement), syllable bigrams, the directory's
synonyms and stopwords, typo correction against known syllables, and the
intent of a question."""

from __future__ import annotations

import unicodedata

import pytest

from ihanoi_core.directory.questions import QuestionDirectory, Synonym
from ihanoi_core.knowledge.answers import intent_of
from ihanoi_core.knowledge.text import Lexicon, bigrams, fold, index_terms, syllables


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đăng ký", "dang ky"),
        ("ĐĂNG KÝ", "dang ky"),
        ("đường Điện Biên Phủ", "duong dien bien phu"),
        ("Hoà bình / Hòa bình", "hoa binh / hoa binh"),  # old and new tone placement
        ("giấy phép xây dựng", "giay phep xay dung"),
        ("ư ơ ă â ê ô", "u o a a e o"),
        ("Quyết định 1207/QĐ-UBND", "quyet dinh 1207/qd-ubnd"),
    ],
)
def test_folding_strips_every_mark_and_reads_d_bar_as_d(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_folding_is_the_same_for_composed_and_decomposed_text() -> None:
    text = "Đăng ký kết hôn"
    assert fold(unicodedata.normalize("NFD", text)) == fold(unicodedata.normalize("NFC", text)) == "dang ky ket hon"


def test_index_terms_are_the_syllables_then_their_bigrams() -> None:
    assert syllables("Cấp giấy phép, xây dựng!") == ["cap", "giay", "phep", "xay", "dung"]
    assert bigrams(["giay", "phep", "xay"]) == ["giayphep", "phepxay"]
    assert index_terms("Đăng ký khai sinh") == "dang ky khai sinh dangky kykhai khaisinh"


LEXICON = Lexicon(
    QuestionDirectory(
        synonyms=(
            Synonym(say=("gplx", "bằng lái xe"), means="giấy phép lái xe"),
            Synonym(say=("sổ đỏ",), means="quyền sử dụng đất"),
        ),
        stopwords=("cho hỏi", "cần", "gì", "ở", "đâu", "thủ tục"),
    ),
    place_names=("Phường Hoàn Kiếm",),
)


def test_an_abbreviation_reads_as_what_it_means_and_stopwords_count_for_nothing() -> None:
    analysed = LEXICON.analyse("Cho hỏi đổi GPLX ở đâu")
    assert analysed.units == {"doi", "giay", "phep", "lai", "xe", "giayphep", "pheplai", "laixe"}
    assert "gplx" not in analysed.search


def test_a_synonym_with_diacritics_matches_a_question_without_them() -> None:
    assert {"quyen", "sudung", "dungdat"} <= LEXICON.analyse("lam so do can gi").units


def test_place_names_are_not_what_is_asked() -> None:
    assert LEXICON.analyse("thủ tục khai sinh ở phường Hoàn Kiếm").units == {"khai", "sinh", "khaisinh"}


def test_a_typo_one_edit_from_a_single_known_syllable_is_corrected() -> None:
    LEXICON.learn(["khai", "sinh", "phep"])
    assert LEXICON.analyse("khaii sinh").units == {"khai", "sinh", "khaisinh"}
    assert "xyzw" in LEXICON.analyse("xyzw").units  # nothing near it: left as it is


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("lệ phí đăng ký kết hôn", "fee"),
        ("lam ho kinh doanh mat bao nhieu tien", "fee"),
        ("khai sinh mất bao lâu", "processing"),
        ("dang ky thuong tru can giay to gi", "documents"),
        ("xin lltp nop o dau", "agency"),
        ("đăng ký kết hôn", "general"),
    ],
)
def test_the_intent_is_read_from_how_the_question_asks(question: str, intent: str) -> None:
    assert intent_of(" ".join(syllables(question))) == intent
