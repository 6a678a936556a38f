"""Over-asking: "never asked" only for contacts never asked for anything, eligibility by readiness,
detractors left out with the reason, and the outputs of both results."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from advocacy_kpis import (
    Account,
    AdvocacyData,
    Advocate,
    Ask,
    Asset,
    ParameterError,
    SurveyKind,
    SurveyResponse,
    Window,
    sample,
)
from advocacy_kpis.analyses import Eligibility, eligible_to_ask, over_asked
from advocacy_kpis.cli import main

SINCE = datetime(2025, 1, 1, tzinfo=UTC)
AT = datetime(2026, 9, 1, tzinfo=UTC)


def nps(account: str, score: int, when: datetime, tag: str = "") -> SurveyResponse:
    return SurveyResponse(
        id=f"n-{account}-{tag or when.date()}",
        account_id=account,
        kind=SurveyKind.NPS,
        score=score,
        responded_at=when,
    )


def data(*surveys: SurveyResponse, asks: tuple[Ask, ...] = ()) -> AdvocacyData:
    """Three accounts onboarded in 2025, each with one advocate: p (promoter), q (neutral), d."""
    accounts = [Account(id=a, customer_since=SINCE, onboarded_at=SINCE) for a in ("p", "q", "d")]
    advocates = [Advocate(id=f"v{a}", account_id=a, enrolled_at=SINCE) for a in ("p", "q", "d")]
    return AdvocacyData.from_records(
        accounts=accounts, advocates=advocates, surveys=list(surveys), asks=list(asks),
        as_of=datetime(2026, 10, 1, tzinfo=UTC),
    )  # fmt: skip


def test_never_asked_only_when_never_asked_for_anything() -> None:
    # q's advocate was asked for a review (low effort) in May: for a reference (high effort) it
    # has no ask of that class, yet it has been asked: its last ask is the review.
    review = Ask(
        id="k1",
        account_id="q",
        advocate_id="vq",
        asked_at=datetime(2026, 5, 1, tzinfo=UTC),
        asset=Asset.REVIEW,
    )
    found = eligible_to_ask(data(asks=(review,)), AT, "reference")
    entries = {e.contact: e for e in found}
    assert entries["q/vq"].last_asked_at is None
    assert entries["q/vq"].last_ask == "last asked 2026-05-01 (review)"
    assert entries["p/vp"].last_ask == "never asked"
    out = io.StringIO()
    assert main(["over-asking", "--sample", "--window", "2026Q3", "--asset", "reference"], out) == 0
    eligible = eligible_to_ask(sample.generate(), datetime(2026, 10, 1, tzinfo=UTC), "reference")
    for entry in eligible:
        if entry.last_any_asked_at is not None:
            assert f"last asked {entry.last_any_asked_at.date()}" in out.getvalue()


def test_eligible_advocates_come_readiest_first() -> None:
    # p answered 10 in August (promoter: +40 readiness); q answered 8 (passive); both onboarded long ago.
    found = eligible_to_ask(
        data(nps("p", 10, datetime(2026, 8, 1, tzinfo=UTC)), nps("q", 8, datetime(2026, 8, 1, tzinfo=UTC))),
        AT, "reference",
    )  # fmt: skip
    # d and q tie on readiness (neither is a promoter), are both never asked: by contact.
    assert [e.contact for e in found] == ["p/vp", "d/vd", "q/vq"]
    assert found[0].readiness is not None and found[2].readiness is not None
    assert found[0].readiness - found[2].readiness == 40


def test_a_detractor_answer_in_the_last_180_days_leaves_the_contact_out_and_says_why() -> None:
    recent = nps("d", 4, AT - timedelta(days=179))
    found = eligible_to_ask(data(recent), AT, "reference")
    assert "d/vd" not in [e.contact for e in found]
    (left,) = found.left_out
    assert left.contact == "d/vd" and "detractor answer (NPS 4)" in left.reason and "180 days" in left.reason
    assert left.until == recent.responded_at + timedelta(days=180)
    # Older than the look-back, or with the rule switched off or shortened: asked again.
    old = nps("d", 4, AT - timedelta(days=181))
    assert "d/vd" in [e.contact for e in eligible_to_ask(data(old), AT, "reference")]
    assert "d/vd" in [e.contact for e in eligible_to_ask(data(recent), AT, "reference", detractor_days=None)]
    assert "d/vd" in [e.contact for e in eligible_to_ask(data(recent), AT, "reference", detractor_days=90)]
    # A passive answer (7) is no reason to leave anyone out.
    assert len(eligible_to_ask(data(nps("d", 7, AT - timedelta(days=5))), AT, "reference")) == 3
    with pytest.raises(ParameterError, match="detractor_days"):
        eligible_to_ask(data(), AT, "reference", detractor_days=0)


def test_the_tap_policy_leaves_a_contact_out_until_a_date() -> None:
    ask = Ask(
        id="k1",
        account_id="p",
        advocate_id="vp",
        asked_at=datetime(2026, 7, 15, tzinfo=UTC),
        asset=Asset.CASE_STUDY,
    )
    found = eligible_to_ask(data(asks=(ask,)), AT, "reference")
    (left,) = found.left_out
    assert left.contact == "p/vp" and left.until == datetime(2026, 10, 15, tzinfo=UTC)
    assert left.reason == "tap policy: asked for case_study on 2026-07-15; may be asked again from 2026-10-15"


def test_eligibility_reads_as_a_sequence_and_has_rows_frames_and_html() -> None:
    found = eligible_to_ask(data(nps("d", 3, AT - timedelta(days=10))), AT, "reference")
    assert isinstance(found, Eligibility) and len(found) == 2 and found[0].contact in {"p/vp", "q/vq"}
    rows = found.to_rows()
    assert [r["left_out"] is None for r in rows] == [True, True, False]
    assert list(found.to_frame()["contact"])[-1] == "d/vd"
    assert '<table class="akv-t">' in found._repr_html_()
    assert json.loads(json.dumps(found.to_dict()))["left_out"][0]["contact"] == "d/vd"
    assert "Left out: 1 advocate(s)" in str(found)


def test_over_asking_result_has_rows_frames_and_html() -> None:
    from advocacy_kpis.sample import tiny

    found = over_asked(tiny(), Window.quarter(2026, 2))
    assert found.to_rows() == [
        {
            "contact": "a1/v1", "account_id": "a1", "asset": "reference", "previous_asset": "case_study",
            "previous_asked_at": "2026-04-15T00:00:00+00:00", "asked_at": "2026-06-01T00:00:00+00:00",
            "allowed_from": "2026-07-15T00:00:00+00:00",
        }
    ]  # fmt: skip
    assert list(found.to_frame()["contact"]) == ["a1/v1"]
    assert "1 of 2 asks too soon" in found._repr_html_()
