"""Property-based tests: random sequences of actions never break the state machines' invariants.

The assessment machine runs against the database through the real services (a fresh published batch per
example); the application machine is checked as a pure table model of `portal.workflow.APPLICATION`.
"""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.accounts.models import Role
from portal.assessments import services, tally
from portal.assessments.creation import create_assessments
from portal.assessments.models import (
    Assessment,
    AssessmentDistrictTally,
    AssessmentEvent,
    AssessmentTally,
    EventKind,
    Outcome,
)
from portal.core import timeutil
from portal.core.errors import DomainError, IllegalTransition, NotFound
from portal.workflow import APPLICATION, ASSESSMENT, ApplicationState, AssessmentState, transition
from tests.factories_assessments import add_batch, make_hospital_user, recomputed_districts

SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ENTRIES = 3

index = st.integers(min_value=0, max_value=ENTRIES - 1)
offset = st.integers(min_value=-40, max_value=40)  # days relative to the due date
action = st.one_of(
    st.tuples(st.just("decide"), index, st.sampled_from(list(Outcome)), st.booleans(), offset),
    st.tuples(
        st.just("event"),
        index,
        st.sampled_from([EventKind.DEPARTMENT_REQUEST, EventKind.COMMITTEE_REVIEW, EventKind.NOTE]),
    ),
    st.tuples(st.just("close"), index),
    st.tuples(st.just("recreate")),
    st.tuples(st.just("bulk"), st.lists(index, min_size=1, max_size=ENTRIES, unique=True), st.booleans()),
    st.tuples(st.just("intruder"), index),
    st.tuples(st.just("stale"), index),
)


@pytest.fixture
def world(db, make_catalogue, make_hospital, make_user):
    catalogue = make_catalogue()
    hospital = make_hospital()
    other = make_hospital()
    return {
        "catalogue": catalogue,
        "user": make_hospital_user(make_user, hospital),
        "intruder": make_hospital_user(make_user, other),
        "admin": make_user(Role.ADMIN),
        "hospitals": 2,
    }


def _check_invariants(db, batch, model):
    rows = db.session.scalars(db.select(Assessment).where(Assessment.batch_id == batch.id)).all()
    # One assessment per hospital × entry, and every public hospital has each entry.
    pairs = [(a.hospital_id, a.entry_id) for a in rows]
    assert len(pairs) == len(set(pairs)) == 2 * ENTRIES
    for a in rows:
        if a.state is AssessmentState.DECIDED:
            assert a.outcome is not None and a.decided_by_id is not None and a.decided_at is not None
            assert a.is_late == (a.decided_at > a.due_at)
            if a.outcome in (Outcome.DECLINED, Outcome.NOT_APPLICABLE):
                assert a.reason
        else:
            assert a.outcome is None and a.decided_at is None and a.is_late is False
    mine = {a.entry_id: a for a in rows if a.hospital_id == model["hospital_id"]}
    for entry_id, expected in model["states"].items():
        assert mine[entry_id].state is expected
        decisions = db.session.scalar(
            db.select(db.func.count(AssessmentEvent.id)).where(
                AssessmentEvent.assessment_id == mine[entry_id].id, AssessmentEvent.kind == EventKind.DECISION
            )
        )
        assert decisions == model["decisions"][entry_id]
    # The intruder's hospital never changes.
    assert all(a.state is AssessmentState.PENDING for a in rows if a.hospital_id != model["hospital_id"])
    # The compliance tally equals the counts recomputed from the assessments.
    assert _stored_tally(db, batch) == _recomputed_tally(db, batch)
    assert _stored_districts(db, batch) == _recomputed_districts(db, batch)


def _stored_tally(db, batch):
    rows = db.session.scalars(db.select(AssessmentTally).where(AssessmentTally.batch_id == batch.id)).all()
    return {
        (t.batch_id, t.hospital_id): tuple(getattr(t, n) for n in (*tally.COUNTS, "due_min", "due_max")) for t in rows
    }


def _recomputed_tally(db, batch):
    rows = db.session.execute(tally.aggregate(Assessment.batch_id == batch.id)).all()
    return {
        (r.batch_id, r.hospital_id): tuple(getattr(r, n) for n in (*tally.COUNTS, "due_min", "due_max")) for r in rows
    }


DISTRICT_COUNTS = (*tally.HOSPITAL_COUNTS, *tally.COUNTS)


def _stored_districts(db, batch):
    rows = db.session.scalars(db.select(AssessmentDistrictTally).where(AssessmentDistrictTally.batch_id == batch.id))
    return {d.district: tuple(getattr(d, n) for n in DISTRICT_COUNTS) for d in rows}


def _recomputed_districts(db, batch):
    rows = db.session.execute(recomputed_districts(Assessment.batch_id == batch.id))
    return {r.district: tuple(getattr(r, n) for n in DISTRICT_COUNTS) for r in rows}


@SETTINGS
@given(actions=st.lists(action, max_size=12))
def test_assessment_state_machine_invariants(db, world, actions):
    user, intruder, admin = world["user"], world["intruder"], world["admin"]
    published_on = timeutil.today_shanghai() - timedelta(days=10)
    batch = add_batch(world["catalogue"], entries=ENTRIES, published_on=published_on)
    create_assessments(batch, published_on)
    db.session.commit()
    mine = db.session.scalars(
        db.select(Assessment)
        .where(Assessment.batch_id == batch.id, Assessment.hospital_id == user.hospital_id)
        .order_by(Assessment.entry_id)
    ).all()
    model = {
        "hospital_id": user.hospital_id,
        "states": {a.entry_id: AssessmentState.PENDING for a in mine},
        "decisions": {a.entry_id: 0 for a in mine},
        "last": {a.entry_id: None for a in mine},
    }
    today = timeutil.today_shanghai()

    for step in actions:
        kind = step[0]
        try:
            if kind == "decide":
                _, i, outcome, with_reason, days = step
                a = mine[i]
                reason = "理由" if with_reason else ""
                before = model["states"][a.entry_id]
                services.decide(user, a, outcome, reason, now=a.due_at + timedelta(days=days, seconds=-1))
                assert before is not AssessmentState.CLOSED  # a closed one must have been refused
                assert with_reason or outcome is Outcome.ADMITTED
                if (before, model["last"][a.entry_id]) != (AssessmentState.DECIDED, (outcome, reason)):
                    model["decisions"][a.entry_id] += 1
                model["states"][a.entry_id] = AssessmentState.DECIDED
                model["last"][a.entry_id] = (outcome, reason)
            elif kind == "event":
                _, i, event_kind = step
                a = mine[i]
                services.add_event(user, a, event_kind, today, "说明")
                assert model["states"][a.entry_id] is not AssessmentState.CLOSED
                if model["states"][a.entry_id] is AssessmentState.PENDING and event_kind is not EventKind.NOTE:
                    model["states"][a.entry_id] = AssessmentState.IN_REVIEW
            elif kind == "close":
                a = mine[step[1]]
                transition(ASSESSMENT, a, "close", admin, comment="调出")
                assert model["states"][a.entry_id] in services.OPEN_STATES
                model["states"][a.entry_id] = AssessmentState.CLOSED
            elif kind == "recreate":
                assert create_assessments(batch, published_on) == 0
            elif kind == "bulk":
                _, picks, with_reason = step
                chosen = [mine[i] for i in picks]
                services.bulk_not_applicable(user, chosen, "不适用理由" if with_reason else "")
                assert with_reason
                for a in chosen:
                    assert model["states"][a.entry_id] in services.OPEN_STATES
                    model["states"][a.entry_id] = AssessmentState.DECIDED
                    model["decisions"][a.entry_id] += 1
                    model["last"][a.entry_id] = (Outcome.NOT_APPLICABLE, "不适用理由")
            elif kind == "intruder":
                victim = db.session.scalar(
                    db.select(Assessment).where(
                        Assessment.batch_id == batch.id, Assessment.hospital_id == intruder.hospital_id
                    )
                )
                with pytest.raises(NotFound):
                    services.decide(user, victim, Outcome.ADMITTED)
            elif kind == "stale":
                a = mine[step[1]]
                with pytest.raises(DomainError):
                    services.decide(user, a, Outcome.ADMITTED, version=a.version_id - 1)
            db.session.commit()
        except (IllegalTransition, DomainError):
            db.session.rollback()
        _check_invariants(db, batch, model)


# The application workflow as a pure table model ------------------------------------------------------------

TERMINAL = {ApplicationState.REJECTED, ApplicationState.WITHDRAWN}
DECIDED = {ApplicationState.RECOMMENDED, ApplicationState.REJECTED}


@settings(max_examples=50, deadline=None)
@given(actions=st.lists(st.sampled_from(sorted(APPLICATION.action_labels)), max_size=25))
def test_application_state_machine_invariants(actions):
    state = ApplicationState.DRAFT
    history = [state]
    for name in actions:
        legal = APPLICATION.can(state, name)
        assert legal == (name in APPLICATION.allowed_actions(state))
        if legal:
            state = APPLICATION.advance(state, name)
            history.append(state)
        else:
            with pytest.raises(IllegalTransition) as exc:
                APPLICATION.advance(state, name)
            assert APPLICATION.action_labels[name] in exc.value.message
        # Terminal states have no way out.
        if state in TERMINAL:
            assert APPLICATION.allowed_actions(state) == []
    # Recommended only after a formal check, and a formal check only after a submission.
    for before, after in zip(history, history[1:], strict=False):
        if after is ApplicationState.RECOMMENDED:
            assert before is ApplicationState.FORMAL_CHECK_PASSED
        if after is ApplicationState.FORMAL_CHECK_PASSED:
            assert before is ApplicationState.SUBMITTED
        if after is ApplicationState.WITHDRAWN:
            assert before not in DECIDED  # a decided application cannot be withdrawn
    if ApplicationState.FORMAL_CHECK_PASSED in history:
        assert ApplicationState.SUBMITTED in history[: history.index(ApplicationState.FORMAL_CHECK_PASSED)]
    # Once rejected or withdrawn, the state never changes again.
    for terminal in TERMINAL:
        if terminal in history:
            assert history[history.index(terminal) :] == [terminal]


def test_every_application_state_is_reachable_from_draft():
    seen, frontier = {ApplicationState.DRAFT}, [ApplicationState.DRAFT]
    while frontier:
        state = frontier.pop()
        for name in APPLICATION.allowed_actions(state):
            nxt = APPLICATION.advance(state, name)
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(ApplicationState)
