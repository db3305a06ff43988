"""Behaviour of the directory: the packaged Hanoi sample loads and routes every
category in every ward, and each kind of mistake in a directory file is reported
with the file, the key path, the problem in plain words and, where it can be
found, the line. Bad files are small variations of ``BASE``, a minimal valid
directory written to ``tmp_path``.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import date, time
from pathlib import Path

import pytest

from ihanoi_core.directory import REQUIRED_DEADLINES, ROUTE_TO_WARD, Directory, load_directory
from ihanoi_core.domain.values import Priority, TimeUnit
from ihanoi_core.errors import DirectoryError

_DEADLINES = "\n".join(
    f'{name} = {{ amount = 5, unit = "working_days", legal_basis = "Điều {number}" }}'
    for number, name in enumerate(REQUIRED_DEADLINES, start=1)
)

BASE = f"""\
[jurisdiction]
id = "test.example"
name = "Thành phố Thử"

[calendar]
office_hours = [["08:00", "12:00"], ["13:00", "17:00"]]
timezone = "Asia/Ho_Chi_Minh"

[[calendar.overrides]]
date = 2027-02-11
working = false
notice = "Thông báo số 1/TB-TEST"
notice_date = 2026-12-01
issuer = "Bộ Thử nghiệm"

[[calendar.overrides]]
date = 2027-02-20
working = true
notice = "Thông báo số 1/TB-TEST"
notice_date = 2026-12-01
issuer = "Bộ Thử nghiệm"

[[wards]]
code = "W1"
name = "Phường Một"

[[wards]]
code = "W2"
name = "Phường Hai"
remote = true

[[agencies]]
code = "CITY"
name = "UBND Thành phố"

[[agencies]]
code = "DEPT"
name = "Sở Xây dựng"
parent = "CITY"

[[agencies]]
code = "UBND_W1"
name = "UBND phường Một"
level = "ward"
parent = "CITY"
wards = ["W1"]

[[agencies]]
code = "UBND_W2"
name = "UBND phường Hai"
level = "ward"
parent = "CITY"
wards = ["W2"]

[[categories]]
code = "pothole"
name_vi = "Ổ gà"
name_en = "Pothole"
group = "Hạ tầng giao thông"
routing = "ward"

[[categories.attributes]]
code = "size"
datatype = "singlevaluelist"
description = "Kích thước"
order = 1
values = [{{ key = "small", name = "Nhỏ" }}]

[[categories]]
code = "flooding"
name_vi = "Ngập úng"
name_en = "Flooding"
group = "Thoát nước"
routing = "DEPT"

[[procedures]]
code = "birth_registration"
name = "Đăng ký khai sinh"
agency = "ward"
processing = {{ amount = 1, unit = "working_days", legal_basis = "Luật Hộ tịch 2014, Điều 16" }}
fee = 0

[deadlines]
{_DEADLINES}
"""


def variant(old: str, new: str, text: str = BASE) -> str:
    """BASE with exactly one occurrence of ``old`` replaced."""
    assert text.count(old) == 1, f"{old!r} must occur once in the base directory"
    return text.replace(old, new)


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line of ``text`` containing ``fragment``."""
    hits = [number for number, line in enumerate(text.splitlines(), start=1) if fragment in line]
    return hits[occurrence - 1]


def load_error(tmp_path: Path, text: str) -> DirectoryError:
    path = tmp_path / "directory.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DirectoryError) as caught:
        load_directory(path)
    error = caught.value
    # Every message names the file, the key and the problem.
    assert str(path) in str(error)
    assert error.key in str(error)
    assert error.problem in str(error)
    return error


@pytest.fixture(scope="module")
def hanoi() -> Directory:
    return load_directory()


# -- the Hanoi sample ------------------------------------------------------------


def test_the_hanoi_sample_is_a_realistic_city(hanoi: Directory) -> None:
    assert hanoi.jurisdiction_id == "hanoi.gov.vn"
    assert hanoi.jurisdiction_name == "Thành phố Hà Nội"
    assert len(hanoi.wards) >= 12
    assert len(hanoi.categories) >= 25
    assert len(hanoi.procedures) >= 15
    assert sum(1 for category in hanoi.categories.values() if category.attributes) >= 6
    assert set(REQUIRED_DEADLINES) <= set(hanoi.deadlines)


def test_every_category_and_procedure_routes_in_every_ward(hanoi: Directory) -> None:
    for ward in hanoi.wards:
        for category in hanoi.categories:
            assert hanoi.route(category, ward).code in hanoi.agencies
        for procedure in hanoi.procedures:
            assert hanoi.procedure_agency(procedure, ward).code in hanoi.agencies


def test_a_ward_routed_category_goes_to_the_people_s_committee_of_the_ward(hanoi: Directory) -> None:
    agency = hanoi.route("pothole", "HOAN_KIEM")
    assert agency.code == "UBND_HOAN_KIEM"
    assert agency.name == "Ủy ban nhân dân phường Hoàn Kiếm"
    assert agency.is_ward_committee
    assert hanoi.route("illegal_construction", "CAU_GIAY").code == "UBND_CAU_GIAY"


def test_a_department_routed_category_goes_to_the_department_in_any_ward(hanoi: Directory) -> None:
    assert hanoi.route("flooding", "HOAN_KIEM").code == "SXD"
    assert hanoi.route("flooding", "TAY_HO").code == "SXD"
    assert hanoi.route("traffic_violation", "KIM_LIEN").code == "CATP"
    assert hanoi.route("food_safety", "BA_VI").code == "SYT"


def test_residence_is_registered_by_the_police_of_the_citizens_ward(hanoi: Directory) -> None:
    # Law on Residence 68/2020/QH14, Art. 2(4): the residence registration body
    # is the police of the commune or ward, under the City Police.
    assert hanoi.procedures["residence_registration"].agency == "ward_police"
    for ward in hanoi.wards:
        police = hanoi.procedure_agency("residence_registration", ward)
        assert (police.level, police.wards, police.parent) == ("ward_police", (ward,), "CATP")
        assert police.name.startswith("Công an ")
    assert hanoi.procedure_agency("residence_registration", "DONG_DA").code == "CA_DONG_DA"
    assert hanoi.procedure_agency("residence_registration", "BA_VI").name == "Công an xã Ba Vì"
    # The ward's People's Committee is still the one reports routed "ward" reach.
    assert hanoi.ward_committee("DONG_DA").code == "UBND_DONG_DA"


POTHOLE = '\n[[categories]]\ncode = "pothole"'
WARD_POLICE = """
[[agencies]]
code = "CA_W1"
name = "Công an phường Một"
level = "ward_police"
parent = "CITY"
wards = ["W1"]
"""


def test_a_procedure_routed_to_the_ward_police_needs_one_in_every_ward(tmp_path: Path) -> None:
    routed = variant('agency = "ward"', 'agency = "ward_police"')
    error = load_error(tmp_path, routed)
    assert error.key == "procedures[0].agency"
    assert error.problem == (
        "routes to each ward's ward police, but no agency with level = 'ward_police' serves W1, W2"
    )
    error = load_error(tmp_path, variant(POTHOLE, WARD_POLICE + POTHOLE, routed))
    assert "serves W2" in error.problem
    both = WARD_POLICE + WARD_POLICE.replace("W1", "W2").replace("Một", "Hai")
    directory_path = tmp_path / "complete.toml"
    directory_path.write_text(variant(POTHOLE, both + POTHOLE, routed), encoding="utf-8")
    directory = load_directory(directory_path)
    assert directory.procedure_agency("birth_registration", "W2").code == "CA_W2"


def test_a_ward_is_served_by_one_police_and_the_police_lists_its_wards(tmp_path: Path) -> None:
    twice = WARD_POLICE + WARD_POLICE.replace("CA_W1", "CA_W1_BIS")
    error = load_error(tmp_path, variant(POTHOLE, twice + POTHOLE))
    assert error.key == "agencies[5].wards[0]"
    assert error.problem == "ward 'W1' is already served by the ward police 'CA_W1'; each ward must have exactly one"
    no_wards = WARD_POLICE.replace('wards = ["W1"]\n', "")
    error = load_error(tmp_path, variant(POTHOLE, no_wards + POTHOLE))
    assert (error.key, error.problem) == ("agencies[4].wards", "a ward police must list the wards it serves")


def test_a_ward_procedure_is_decided_by_the_ward_and_a_department_procedure_by_the_department(
    hanoi: Directory,
) -> None:
    assert hanoi.procedure_agency("birth_registration", "DONG_DA").code == "UBND_DONG_DA"
    # Criminal record certificates are issued by the police since 01/03/2025.
    assert hanoi.procedure_agency("criminal_record_certificate", "DONG_DA").code == "CATP"
    birth = hanoi.procedures["birth_registration"]
    assert birth.national_code == "1.001193"
    assert (birth.processing.amount, birth.processing.unit) == (1, TimeUnit.WORKING_DAYS)
    assert "60/2014/QH13" in birth.processing.legal_basis
    assert birth.required_documents


def test_routing_an_unknown_category_or_ward_is_a_key_error(hanoi: Directory) -> None:
    with pytest.raises(KeyError):
        hanoi.route("no_such_category", "HOAN_KIEM")
    with pytest.raises(KeyError):
        hanoi.route("pothole", "NO_SUCH_WARD")
    with pytest.raises(KeyError):
        hanoi.route("flooding", "NO_SUCH_WARD")


def test_get_lookups_answer_none_for_unknown_codes(hanoi: Directory) -> None:
    assert hanoi.get_category("pothole") is hanoi.categories["pothole"]
    assert hanoi.get_ward("HOAN_KIEM") is hanoi.wards["HOAN_KIEM"]
    assert hanoi.get_agency("SXD") is hanoi.agencies["SXD"]
    assert hanoi.get_procedure("certified_copy") is hanoi.procedures["certified_copy"]
    assert hanoi.get_category("nope") is None
    assert hanoi.get_ward("nope") is None
    assert hanoi.get_agency("nope") is None
    assert hanoi.get_procedure("nope") is None


def test_deadlines_are_rules_with_a_unit_and_a_legal_basis(hanoi: Directory) -> None:
    acknowledge = hanoi.deadline("report_acknowledge")
    assert (acknowledge.amount, acknowledge.unit) == (8, TimeUnit.WORKING_HOURS)
    assert "1207/QĐ-UBND" in acknowledge.legal_basis
    assert hanoi.deadline("complaint_accept").amount == 10
    assert hanoi.deadline("complaint_accept").unit is TimeUnit.CALENDAR_DAYS
    assert "Điều 27" in hanoi.deadline("complaint_accept").legal_basis
    assert hanoi.deadline("denunciation_preliminary").unit is TimeUnit.WORKING_DAYS
    with pytest.raises(KeyError):
        hanoi.deadline("no_such_deadline")


def test_a_report_deadline_is_the_category_override_else_the_city_default(hanoi: Directory) -> None:
    assert hanoi.report_deadline("fallen_tree", Priority.URGENT).amount == 2
    assert hanoi.report_deadline("fallen_tree", Priority.NORMAL) == hanoi.deadline("report_resolve_normal")
    assert hanoi.report_deadline("pothole", Priority.URGENT) == hanoi.deadline("report_resolve_urgent")
    assert hanoi.report_deadline("pothole", Priority.COMPLEX) == hanoi.deadline("report_resolve_complex")
    assert hanoi.acknowledge_deadline("pothole") == hanoi.deadline("report_acknowledge")


def test_categories_keep_the_file_order_and_carry_open311_attributes(hanoi: Directory) -> None:
    assert next(iter(hanoi.categories)) == "pothole"
    pothole = hanoi.categories["pothole"]
    assert pothole.routing == ROUTE_TO_WARD
    assert pothole.default_priority is Priority.NORMAL
    assert hanoi.categories["flooding"].default_priority is Priority.URGENT
    road_type = pothole.attributes[0]
    assert (road_type.code, road_type.datatype, road_type.required, road_type.order) == (
        "road_type",
        "singlevaluelist",
        True,
        1,
    )
    assert [value.key for value in road_type.values] == ["main_road", "street", "alley"]


def test_the_calendar_settings_are_parsed_into_times_and_dates(hanoi: Directory) -> None:
    assert hanoi.calendar.office_hours == ((time(8), time(12)), (time(13), time(17)))
    assert hanoi.calendar.timezone == "Asia/Ho_Chi_Minh"
    assert hanoi.calendar.days_off == (date(2026, 1, 2),)
    assert hanoi.calendar.working_days == (date(2026, 1, 10),)


def test_the_shipped_calendar_carries_the_new_year_2026_swap_of_official_letter_12729_vpcp_kgvx(
    hanoi: Directory,
) -> None:
    # Official Letter 12729/VPCP-KGVX of 25/12/2025 (Government Office): Friday
    # 02/01/2026 off, Saturday 10/01/2026 worked; nothing else is overridden.
    assert [(o.date, o.working, o.notice, o.notice_date, o.issuer) for o in hanoi.calendar.overrides] == [
        (date(2026, 1, 2), False, "Công văn số 12729/VPCP-KGVX", date(2025, 12, 25), "Văn phòng Chính phủ"),
        (date(2026, 1, 10), True, "Công văn số 12729/VPCP-KGVX", date(2025, 12, 25), "Văn phòng Chính phủ"),
    ]
    assert hanoi.calendar.overrides[0].source == "Công văn số 12729/VPCP-KGVX ngày 25/12/2025 của Văn phòng Chính phủ"


def test_the_shipped_calendar_invents_no_day_of_2027(hanoi: Directory) -> None:
    # The sample once shipped 2027-02-11 off and 2027-02-20 worked "as an
    # example": no notice set them, so they are gone.
    assert all(override.date.year != 2027 for override in hanoi.calendar.overrides)


@pytest.mark.parametrize("field", ["notice", "notice_date", "issuer"])
def test_a_calendar_override_without_its_notice_is_refused(tmp_path: Path, field: str) -> None:
    line = {"notice": 'notice = "Thông báo số 1/TB-TEST"', "notice_date": "notice_date = 2026-12-01"}.get(
        field, 'issuer = "Bộ Thử nghiệm"'
    )
    error = load_error(tmp_path, BASE.replace(line + "\n", "", 1))
    assert error.key == f"calendar.overrides[0].{field}"
    assert "missing" in error.problem


def test_a_calendar_override_with_a_blank_issuer_is_refused(tmp_path: Path) -> None:
    error = load_error(tmp_path, BASE.replace('issuer = "Bộ Thử nghiệm"', 'issuer = "  "', 1))
    assert error.key == "calendar.overrides[0].issuer"
    assert "must not be empty" in error.problem


def test_bare_dates_without_a_notice_are_refused_with_what_to_write_instead(tmp_path: Path) -> None:
    text = BASE.replace(
        'timezone = "Asia/Ho_Chi_Minh"\n', 'timezone = "Asia/Ho_Chi_Minh"\ndays_off = [2027-02-11]\n', 1
    )
    error = load_error(tmp_path, text)
    assert error.key == "calendar.days_off"
    assert "a bare date has no source" in error.problem
    assert "[[calendar.overrides]]" in error.problem


def test_the_directory_cannot_be_changed(hanoi: Directory) -> None:
    with pytest.raises(AttributeError):
        hanoi.jurisdiction_id = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        hanoi.categories["pothole"] = hanoi.categories["flooding"]  # type: ignore[index]
    with pytest.raises((AttributeError, FrozenInstanceError)):
        hanoi.wards["HOAN_KIEM"].remote = True  # type: ignore[misc]


def test_a_remote_ward_is_flagged(hanoi: Directory) -> None:
    assert not hanoi.wards["HOAN_KIEM"].remote
    assert hanoi.wards["BA_VI"].remote


# -- loading a file ------------------------------------------------------------------


def test_a_minimal_directory_file_loads_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "directory.toml"
    path.write_text(BASE, encoding="utf-8")
    directory = load_directory(str(path))
    assert directory.source == str(path)
    assert directory.route("pothole", "W2").code == "UBND_W2"
    assert directory.route("flooding", "W2").code == "DEPT"
    assert directory.ward_committee("W1").code == "UBND_W1"


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(DirectoryError) as caught:
        load_directory(path)
    assert str(path) in str(caught.value)
    assert "cannot be read" in caught.value.problem


def test_a_toml_syntax_error_gives_its_line_and_column(tmp_path: Path) -> None:
    text = variant('routing = "DEPT"', "routing = DEPT")
    error = load_error(tmp_path, text)
    assert error.line == line_of(text, "routing = DEPT")
    assert error.key == "categories[1].routing"
    assert "invalid TOML" in error.problem
    assert "column" in error.problem


def test_an_unclosed_array_at_the_end_of_the_file_points_at_the_last_line(tmp_path: Path) -> None:
    text = BASE + "extra_rule = [\n  1,\n"
    error = load_error(tmp_path, text)
    assert error.line == len(text.splitlines())
    assert "invalid TOML" in error.problem


def test_a_wrong_type_names_the_key_path_of_the_value(tmp_path: Path) -> None:
    text = variant("fee = 0", 'fee = "free"')
    error = load_error(tmp_path, text)
    assert error.key == "procedures[0].fee"
    assert error.problem == "expected an integer, got a string"
    assert error.line == line_of(text, 'fee = "free"')


def test_a_wrong_type_inside_a_nested_table_names_the_full_path(tmp_path: Path) -> None:
    text = variant("order = 1", 'order = "first"')
    error = load_error(tmp_path, text)
    assert error.key == "categories[0].attributes[0].order"
    assert error.line == line_of(text, 'order = "first"')


def test_a_deadline_that_is_not_a_table_names_the_deadline(tmp_path: Path) -> None:
    text = BASE + "extra_rule = 8\n"
    error = load_error(tmp_path, text)
    assert error.key == "deadlines.extra_rule"
    assert error.problem == "expected a table, got an integer"
    assert error.line == line_of(text, "extra_rule = 8")


def test_an_unknown_key_is_an_error_not_ignored(tmp_path: Path) -> None:
    text = variant('name_en = "Flooding"', 'name_en = "Flooding"\ncolour = "blue"')
    error = load_error(tmp_path, text)
    assert error.key == "categories[1].colour"
    assert "unknown key" in error.problem


def test_a_missing_required_key_is_reported(tmp_path: Path) -> None:
    error = load_error(tmp_path, variant('routing = "DEPT"\n', ""))
    assert error.key == "categories[1].routing"
    assert "required" in error.problem


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('code = "W2"', 'code = "W1"', "wards[1].code"),
        ('code = "flooding"', 'code = "pothole"', "categories[1].code"),
        ('code = "DEPT"', 'code = "CITY"', "agencies[1].code"),
    ],
)
def test_a_duplicate_code_points_at_the_second_definition(tmp_path: Path, old: str, new: str, key: str) -> None:
    text = variant(old, new)
    error = load_error(tmp_path, text)
    assert error.key == key
    assert "duplicate code" in error.problem
    assert error.line == line_of(text, new, occurrence=2)


def test_a_category_routed_to_an_unknown_agency_is_rejected(tmp_path: Path) -> None:
    text = variant('routing = "DEPT"', 'routing = "SXDD"')
    error = load_error(tmp_path, text)
    assert error.key == "categories[1].routing"
    assert error.problem == 'unknown agency \'SXDD\'; expected "ward", "ward_police" or an agency code'
    assert error.line == line_of(text, 'routing = "SXDD"')


def test_an_agency_with_an_unknown_parent_is_rejected(tmp_path: Path) -> None:
    text = variant('name = "Sở Xây dựng"\nparent = "CITY"', 'name = "Sở Xây dựng"\nparent = "GONE"')
    error = load_error(tmp_path, text)
    assert error.key == "agencies[1].parent"
    assert error.problem == "unknown agency 'GONE'"
    assert error.line == line_of(text, 'parent = "GONE"')


def test_agency_parents_may_not_form_a_cycle(tmp_path: Path) -> None:
    text = variant('name = "UBND Thành phố"', 'name = "UBND Thành phố"\nparent = "DEPT"')
    error = load_error(tmp_path, text)
    assert error.key == "agencies[0].parent"
    assert "cycle" in error.problem


def test_an_agency_serving_an_unknown_ward_is_rejected(tmp_path: Path) -> None:
    text = variant('wards = ["W2"]', 'wards = ["W2", "W9"]')
    error = load_error(tmp_path, text)
    assert error.key == "agencies[3].wards[1]"
    assert error.problem == "unknown ward 'W9'"
    assert error.line == line_of(text, '"W9"')


def test_a_procedure_of_an_unknown_agency_is_rejected(tmp_path: Path) -> None:
    text = variant('agency = "ward"', 'agency = "STPP"')
    error = load_error(tmp_path, text)
    assert error.key == "procedures[0].agency"
    assert "unknown agency 'STPP'" in error.problem
    assert error.line == line_of(text, 'agency = "STPP"')


def test_a_ward_served_by_two_ward_committees_is_rejected(tmp_path: Path) -> None:
    text = variant('wards = ["W2"]', 'wards = ["W2", "W1"]')
    error = load_error(tmp_path, text)
    assert error.key == "agencies[3].wards[1]"
    assert "already served by the ward People's Committee 'UBND_W1'" in error.problem


def test_a_ward_served_by_no_ward_committee_is_rejected(tmp_path: Path) -> None:
    text = variant('level = "ward"\nparent = "CITY"\nwards = ["W2"]', 'parent = "CITY"\nwards = ["W2"]')
    error = load_error(tmp_path, text)
    assert error.key == "wards[1].code"
    assert "served by no ward People's Committee" in error.problem
    assert error.line == line_of(text, 'code = "W2"')


def test_an_unknown_deadline_unit_is_rejected(tmp_path: Path) -> None:
    old = 'report_resolve_normal = { amount = 5, unit = "working_days"'
    text = variant(old, 'report_resolve_normal = { amount = 5, unit = "weeks"')
    error = load_error(tmp_path, text)
    assert error.key == "deadlines.report_resolve_normal.unit"
    assert error.problem == "unknown unit 'weeks'; expected one of working_hours, working_days, calendar_days"
    assert error.line == line_of(text, "report_resolve_normal =")


@pytest.mark.parametrize("amount", [0, -3])
def test_a_non_positive_deadline_amount_is_rejected(tmp_path: Path, amount: int) -> None:
    text = variant("complaint_accept = { amount = 5", f"complaint_accept = {{ amount = {amount}")
    error = load_error(tmp_path, text)
    assert error.key == "deadlines.complaint_accept.amount"
    assert error.problem == f"must be a positive whole number, got {amount}"


def test_a_bad_category_deadline_override_is_rejected(tmp_path: Path) -> None:
    override = 'deadlines = { urgent = { amount = 2, unit = "hours", legal_basis = "x" } }'
    text = variant('routing = "DEPT"', f'routing = "DEPT"\n{override}')
    error = load_error(tmp_path, text)
    assert error.key == "categories[1].deadlines.urgent.unit"
    assert "unknown unit 'hours'" in error.problem
    assert error.line == line_of(text, "deadlines = { urgent")


def test_a_category_deadline_override_for_an_unknown_priority_is_rejected(tmp_path: Path) -> None:
    override = 'deadlines = { critical = { amount = 2, unit = "working_hours", legal_basis = "x" } }'
    error = load_error(tmp_path, variant('routing = "DEPT"', f'routing = "DEPT"\n{override}'))
    assert error.key == "categories[1].deadlines.critical"
    assert "unknown key" in error.problem


def test_a_missing_required_deadline_is_named(tmp_path: Path) -> None:
    text = "\n".join(line for line in BASE.splitlines() if not line.startswith("dossier_review ="))
    error = load_error(tmp_path, text)
    assert error.key == "deadlines.dossier_review"
    assert error.problem == "this required deadline is missing"


@pytest.mark.parametrize(
    ("hours", "key", "problem"),
    [
        ('[["8h00", "12:00"]]', "calendar.office_hours[0][0]", "'8h00' is not a time of day in HH:MM form"),
        ('[["08:00", "24:00"]]', "calendar.office_hours[0][1]", "'24:00' is not a time of day in HH:MM form"),
        ('[["12:00", "08:00"]]', "calendar.office_hours[0]", "opening must come first"),
        (
            '[["08:00", "12:00"], ["11:00", "17:00"]]',
            "calendar.office_hours[1]",
            "before the previous period",
        ),
        ('[["08:00", "12:00", "13:00"]]', "calendar.office_hours[0]", "expected a list of 2 items, got 3"),
        ("[]", "calendar.office_hours", "at least one"),
    ],
)
def test_bad_office_hours_are_rejected(tmp_path: Path, hours: str, key: str, problem: str) -> None:
    text = variant('office_hours = [["08:00", "12:00"], ["13:00", "17:00"]]', f"office_hours = {hours}")
    error = load_error(tmp_path, text)
    assert error.key == key
    assert problem in error.problem
    assert error.line == line_of(text, "office_hours =")


def test_an_unknown_time_zone_is_rejected(tmp_path: Path) -> None:
    error = load_error(tmp_path, variant('timezone = "Asia/Ho_Chi_Minh"', 'timezone = "Asia/Hanoi_City"'))
    assert error.key == "calendar.timezone"
    assert "unknown time zone 'Asia/Hanoi_City'" in error.problem


def test_a_date_cannot_be_both_a_day_off_and_a_working_day(tmp_path: Path) -> None:
    error = load_error(tmp_path, variant("date = 2027-02-20", "date = 2027-02-11"))
    assert error.key == "calendar.overrides[1].date"
    assert "already overridden at calendar.overrides[0]" in error.problem


def test_an_unknown_attribute_datatype_is_rejected(tmp_path: Path) -> None:
    text = variant('datatype = "singlevaluelist"', 'datatype = "dropdown"')
    error = load_error(tmp_path, text)
    assert error.key == "categories[0].attributes[0].datatype"
    assert "unknown datatype 'dropdown'" in error.problem
    assert error.line == line_of(text, 'datatype = "dropdown"')


def test_a_list_attribute_needs_values(tmp_path: Path) -> None:
    error = load_error(tmp_path, variant('values = [{ key = "small", name = "Nhỏ" }]\n', ""))
    assert error.key == "categories[0].attributes[0].values"
    assert "needs at least one value" in error.problem


def test_an_unknown_agency_level_is_rejected(tmp_path: Path) -> None:
    text = variant('name = "Sở Xây dựng"', 'name = "Sở Xây dựng"\nlevel = "district"')
    error = load_error(tmp_path, text)
    assert error.key == "agencies[1].level"
    assert "unknown level 'district'" in error.problem


def test_an_unknown_default_priority_is_rejected(tmp_path: Path) -> None:
    error = load_error(tmp_path, variant('routing = "DEPT"', 'routing = "DEPT"\ndefault_priority = "high"'))
    assert error.key == "categories[1].default_priority"
    assert "unknown priority 'high'" in error.problem


def test_every_sample_ward_has_a_centre_inside_hanoi() -> None:
    directory = load_directory()
    for ward in directory.wards.values():
        assert ward.centre is not None, ward.code
        latitude, longitude = ward.centre
        assert 20.5 < latitude < 21.4
        assert 105.2 < longitude < 106.1


def test_the_top_of_the_escalation_chain_is_an_agency_of_the_directory(tmp_path: Path, hanoi: Directory) -> None:
    assert hanoi.deadline_watch.city_committee == "UBND_TP"
    unknown = BASE + '\n[deadline_watch]\ncity_committee = "UBND_NOWHERE"\n'
    error = load_error(tmp_path, unknown)
    assert (error.key, error.problem) == ("deadline_watch.city_committee", "unknown agency 'UBND_NOWHERE'")
    path = tmp_path / "no_top.toml"
    path.write_text(BASE, encoding="utf-8")
    assert load_directory(path).deadline_watch.city_committee is None
