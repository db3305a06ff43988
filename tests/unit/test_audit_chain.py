"""The hash chain and signed checkpoints, on notifications built in memory:
the encoding is the documented one, every field is covered, and the
verification walk names each kind of tampering at its position."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
from uuid import UUID, uuid5

import pytest
from eventsourcing.persistence import Notification

from ihanoi_core.audit.chain import GENESIS, ChainRow, chain, chain_link, event_digest
from ihanoi_core.audit.checkpoint import (
    AuditKeyError,
    Checkpoint,
    CheckpointFormatError,
    check_checkpoint,
    generate_key,
    load_signing_key,
    public_key_of,
    sign_checkpoint,
)
from ihanoi_core.audit.verify import VerifyReport, verify_chain

NAMESPACE = UUID("00000000-0000-0000-0000-00000000a0d1")
TOPIC = "ihanoi_core.domain.report:Report.Submitted"


def notification(position: int, case: int = 0, version: int = 1, state: bytes | None = None) -> Notification:
    return Notification(
        id=position,
        originator_id=uuid5(NAMESPACE, str(case or position)),
        originator_version=version,
        topic=TOPIC,
        state=state if state is not None else f'{{"n":{position}}}'.encode(),
    )


def log_of(count: int) -> list[Notification]:
    return [notification(position) for position in range(1, count + 1)]


def verify(log: list[Notification], rows: list[ChainRow], **options: object) -> VerifyReport:
    chain_head = options.pop("chain_head", rows[-1].position if rows else 0)
    by_event = {(row.originator_id, row.originator_version): row.position for row in rows}
    return verify_chain(
        log,
        rows,
        chain_head=chain_head,  # type: ignore[arg-type]
        locate=lambda originator_id, version: by_event.get((originator_id, version)),
        **options,  # type: ignore[arg-type]
    )


def kinds(report: VerifyReport) -> list[tuple[int, str]]:
    return [(problem.position, problem.kind) for problem in report.problems]


# -- the encoding ----------------------------------------------------------------------


def test_a_link_is_the_sha256_of_the_documented_length_prefixed_encoding() -> None:
    event = notification(7, state=b'{"a":1}')
    identity = str(event.originator_id).encode()

    def u64(value: int) -> bytes:
        return value.to_bytes(8, "big")

    encoded = u64(len(identity)) + identity + u64(1) + u64(len(TOPIC)) + TOPIC.encode() + u64(7) + b'{"a":1}'
    assert hashlib.sha256(b"ihanoi-audit-chain-v1").digest() == GENESIS
    assert (
        chain_link(GENESIS, 7, event.originator_id, 1, TOPIC, b'{"a":1}')
        == hashlib.sha256(GENESIS + u64(7) + encoded).digest()
    )
    assert event_digest(event.originator_id, 1, TOPIC, b'{"a":1}') == hashlib.sha256(encoded).digest()


@pytest.mark.parametrize(
    "change",
    [
        {"position": 8},
        {"originator_id": UUID(int=1)},
        {"version": 2},
        {"topic": TOPIC + "x"},
        {"state": b'{"a":2}'},
        {"previous": hashlib.sha256(b"other").digest()},
    ],
    ids=["position", "originator_id", "version", "topic", "state", "previous link"],
)
def test_every_field_of_an_event_and_the_previous_link_changes_the_link(change: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "previous": GENESIS,
        "position": 7,
        "originator_id": UUID(int=0),
        "version": 1,
        "topic": TOPIC,
        "state": b'{"a":1}',
    }
    assert chain_link(**{**fields, **change}) != chain_link(**fields)  # type: ignore[arg-type]


def test_moving_bytes_between_topic_and_state_changes_the_digest() -> None:
    # Without length prefixes "ab" + "c" and "a" + "bc" would hash alike.
    assert event_digest(UUID(int=0), 1, "ab", b"c") != event_digest(UUID(int=0), 1, "a", b"bc")


def test_chaining_in_two_batches_gives_the_same_rows_as_chaining_at_once() -> None:
    log = log_of(10)
    at_once = list(chain(GENESIS, log))
    first = list(chain(GENESIS, log[:4]))
    rest = list(chain(first[-1].link, log[4:]))
    assert first + rest == at_once
    assert [row.position for row in at_once] == list(range(1, 11))


# -- verification ------------------------------------------------------------------------


def test_an_untouched_log_verifies_with_no_problem() -> None:
    log = log_of(20)
    report = verify(log, list(chain(GENESIS, log)))
    assert report.ok
    assert (report.checked, report.chain_head, report.log_head, report.unchained) == (20, 20, 20, 0)


def test_an_edited_payload_is_named_at_its_position() -> None:
    log = log_of(20)
    rows = list(chain(GENESIS, log))
    log[11] = replace(log[11], state=log[11].state.replace(b"1", b"9"))
    assert kinds(verify(log, rows)) == [(12, "edited")]


def test_a_deleted_event_is_named_at_its_position() -> None:
    log = log_of(20)
    rows = list(chain(GENESIS, log))
    del log[4]
    assert kinds(verify(log, rows)) == [(5, "deleted")]


def test_deleting_the_last_chained_events_is_caught() -> None:
    log = log_of(20)
    rows = list(chain(GENESIS, log))
    assert kinds(verify(log[:18], rows)) == [(19, "deleted"), (20, "deleted")]


def test_an_event_inserted_into_a_gap_below_the_chain_head_is_named() -> None:
    # PostgreSQL positions can have gaps; a forged event can be slipped into one.
    log = [event for event in log_of(20) if event.id != 9]
    rows = list(chain(GENESIS, log))
    forged = notification(9, case=999)
    report = verify(sorted([*log, forged], key=lambda event: event.id), rows)
    assert kinds(report) == [(9, "inserted")]


def test_two_swapped_events_are_reported_as_reordered_from_the_first_position() -> None:
    log = log_of(20)
    rows = list(chain(GENESIS, log))
    a, b = log[6], log[13]
    log[6], log[13] = replace(b, id=7), replace(a, id=14)
    report = verify(log, rows)
    assert kinds(report) == [(7, "reordered"), (14, "reordered")]
    assert report.first_problem is not None
    assert "chain has at position 14" in report.first_problem.detail


def test_a_forged_event_in_place_of_a_chained_one_is_reported_as_inserted() -> None:
    log = log_of(20)
    rows = list(chain(GENESIS, log))
    log[2] = notification(3, case=999)
    assert kinds(verify(log, rows)) == [(3, "inserted")]


def test_events_after_the_chain_head_are_counted_as_not_yet_chained_not_as_problems() -> None:
    log = log_of(20)
    rows = list(chain(GENESIS, log[:15]))
    report = verify(log, rows)
    assert report.ok
    assert (report.chain_head, report.log_head, report.unchained) == (15, 20, 5)


def test_an_edited_link_in_the_chain_table_is_reported_as_chain_altered() -> None:
    log = log_of(10)
    rows = list(chain(GENESIS, log))
    rows[3] = replace(rows[3], link=hashlib.sha256(b"forged").digest())
    assert kinds(verify(log, rows)) == [(4, "chain_altered")]


def test_an_edited_digest_in_the_chain_table_is_reported_as_chain_altered() -> None:
    # The link still follows from the log; only the digest column was changed.
    log = log_of(10)
    rows = list(chain(GENESIS, log))
    rows[3] = replace(rows[3], digest=hashlib.sha256(b"forged").digest())
    report = verify(log, rows)
    assert kinds(report) == [(4, "chain_altered")]
    assert report.first_problem is not None
    assert "digest at position 4" in report.first_problem.detail


@pytest.mark.parametrize("column", ["digest", "link"])
@pytest.mark.parametrize("value", ["abc", 7, None, b"\x01\x02"], ids=["text", "integer", "null", "2 bytes"])
def test_a_digest_or_link_that_is_not_a_32_byte_hash_is_named_at_its_position(column: str, value: object) -> None:
    log = log_of(10)
    rows = list(chain(GENESIS, log))
    rows[3] = replace(rows[3], **{column: value})  # type: ignore[arg-type]  # the wrong type on purpose
    # An edited event after it must still be checked against a usable previous link.
    log[6] = replace(log[6], state=b'{"n":"edited"}')
    report = verify(log, rows)
    assert kinds(report) == [(4, "chain_altered"), (7, "edited")]
    assert report.first_problem is not None
    assert f"{column} at position 4 is" in report.first_problem.detail
    assert "not a 32-byte SHA-256" in report.first_problem.detail


def test_an_edited_event_whose_chain_digest_was_rewritten_to_match_is_still_caught() -> None:
    log = log_of(10)
    rows = list(chain(GENESIS, log))
    log[4] = replace(log[4], state=b'{"n":"edited"}')
    rows[4] = replace(rows[4], digest=event_digest(log[4].originator_id, 1, TOPIC, log[4].state))
    assert kinds(verify(log, rows)) == [(5, "chain_altered")]


def test_a_chain_whose_last_rows_were_deleted_is_reported_as_truncated_not_as_inserted_events() -> None:
    log = log_of(10)
    rows = list(chain(GENESIS, log))
    report = verify(log, rows[:8], chain_head=10)
    assert kinds(report) == [(9, "chain_truncated")]
    assert report.first_problem is not None
    assert "last row is at position 8" in report.first_problem.detail
    assert "2 stored events" in report.first_problem.detail


def test_an_event_inserted_below_the_last_chain_row_is_still_inserted_when_the_tail_is_also_cut() -> None:
    log = [event for event in log_of(10) if event.id != 4]
    rows = list(chain(GENESIS, log))
    forged = notification(4, case=999)
    report = verify(sorted([*log, forged], key=lambda event: event.id), rows[:7], chain_head=10)
    assert kinds(report) == [(4, "inserted"), (9, "chain_truncated")]


def test_a_truncated_chain_with_no_stored_event_after_its_last_row_is_named_at_its_head() -> None:
    log = log_of(10)
    rows = list(chain(GENESIS, log))
    assert kinds(verify(log[:8], rows[:8], chain_head=10)) == [(10, "chain_truncated")]


def test_problems_beyond_the_limit_are_counted_not_listed() -> None:
    log = log_of(30)
    rows = list(chain(GENESIS, log))
    report = verify(log[:10], rows, max_problems=5)
    assert len(report.problems) == 5
    assert report.more_problems == 15


def test_the_summary_at_a_position_is_the_log_recomputed_from_genesis() -> None:
    log = log_of(20)
    rows = list(chain(GENESIS, log))
    summary = verify(log, rows, summary_at=12).at_position
    assert summary is not None
    assert (summary.position, summary.link, summary.events, summary.present) == (12, rows[11].link, 12, True)


def test_the_summary_reaches_past_the_chain_head_when_asked() -> None:
    log = log_of(20)
    rows = list(chain(GENESIS, log))
    summary = verify(log, rows[:10], chain_head=10, summary_at=15).at_position
    assert summary is not None
    assert summary.link == rows[14].link


def test_summaries_at_several_positions_and_the_count_of_stored_events() -> None:
    log = [event for event in log_of(20) if event.id != 6]
    rows = list(chain(GENESIS, log))
    report = verify(log, rows[:10], chain_head=rows[9].position, summaries_at=(6, 12, 25))
    assert report.events == 19
    assert {position: (summary.events, summary.present) for position, summary in report.summaries.items()} == {
        6: (5, False),
        12: (11, True),
        25: (19, False),
    }
    assert report.summaries[12].link == rows[10].link


# -- checkpoints -------------------------------------------------------------------------


@pytest.fixture
def seed() -> str:
    return generate_key()[0]


def signed(seed: str, log: list[Notification], position: int) -> Checkpoint:
    rows = list(chain(GENESIS, log))
    return sign_checkpoint(
        load_signing_key(seed), jurisdiction="hanoi.gov.vn", position=position, link=rows[position - 1].link,
        events=position,
    )  # fmt: skip


def check(checkpoint: Checkpoint, log: list[Notification], trusted: str) -> list[tuple[int, str, str]]:
    report = verify(log, list(chain(GENESIS, log)), summary_at=checkpoint.position)
    problems = check_checkpoint(
        checkpoint, report.at_position, trusted_public_key=trusted, jurisdiction="hanoi.gov.vn",
        log_head=report.log_head,
    )  # fmt: skip
    return [(problem.position, problem.kind, problem.detail) for problem in problems]


def test_a_checkpoint_round_trips_through_json_and_verifies_against_the_log(seed: str) -> None:
    log = log_of(20)
    checkpoint = Checkpoint.from_json(signed(seed, log, 15).to_json())
    assert (checkpoint.position, checkpoint.events, checkpoint.jurisdiction) == (15, 15, "hanoi.gov.vn")
    assert check(checkpoint, log, public_key_of(load_signing_key(seed))) == []


def test_a_forged_signature_is_rejected(seed: str) -> None:
    log = log_of(20)
    checkpoint = signed(seed, log, 15)
    raw = bytearray(base64.b64decode(checkpoint.signature))
    raw[0] ^= 1
    forged = replace(checkpoint, signature=base64.b64encode(bytes(raw)).decode())
    [(position, kind, detail)] = check(forged, log, checkpoint.public_key)
    assert (position, kind) == (15, "checkpoint")
    assert "does not verify" in detail


def test_a_checkpoint_whose_fields_were_changed_after_signing_is_rejected(seed: str) -> None:
    log = log_of(20)
    checkpoint = signed(seed, log, 15)
    [(_, _, detail)] = check(replace(checkpoint, events=14), log, checkpoint.public_key)
    assert "does not verify" in detail


def test_a_checkpoint_signed_with_another_key_is_rejected_even_if_self_consistent(seed: str) -> None:
    log = log_of(20)
    impostor = signed(generate_key()[0], log, 15)
    [(_, _, detail)] = check(impostor, log, public_key_of(load_signing_key(seed)))
    assert "not the trusted key" in detail


def test_a_log_rewritten_before_the_checkpoint_position_fails_the_checkpoint(seed: str) -> None:
    log = log_of(20)
    checkpoint = signed(seed, log, 15)
    log[4] = replace(log[4], state=b'{"n":"rewritten"}')
    [(position, kind, detail)] = check(checkpoint, log, checkpoint.public_key)
    assert (position, kind) == (15, "checkpoint")
    assert "does not match the signed checkpoint" in detail


def test_a_log_shorter_than_the_checkpoint_fails_it(seed: str) -> None:
    log = log_of(20)
    checkpoint = signed(seed, log, 15)
    problems = check(checkpoint, log[:12], checkpoint.public_key)
    assert problems[0][:2] == (15, "checkpoint")
    assert "ends at position 12" in problems[0][2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ("[]", "JSON object"),
        ('{"position": 1}', "lacks"),
    ],
)
def test_a_file_that_is_not_a_checkpoint_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(CheckpointFormatError, match=message):
        Checkpoint.from_json(text)


@pytest.mark.parametrize(
    ("seed", "message"),
    [(None, "not set"), ("%%%", "not valid base64"), (base64.b64encode(b"short").decode(), "32 bytes")],
)
def test_a_missing_or_malformed_audit_key_is_a_configuration_error(seed: str | None, message: str) -> None:
    with pytest.raises(AuditKeyError, match=message):
        load_signing_key(seed)


def test_keygen_makes_a_32_byte_seed_whose_public_key_it_reports() -> None:
    private, public = generate_key()
    assert len(base64.b64decode(private)) == 32
    assert public_key_of(load_signing_key(private)) == public
