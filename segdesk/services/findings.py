"""Working findings to a resolution, and signing a day off with four eyes."""

from __future__ import annotations

import datetime as dt

from segdesk.domain.problems import InputError
from segdesk.services.identity import acting_person, current_user, same_person
from segdesk.services.overview import as_utc
from segdesk.services.reconciling import SignOffView, require_current
from segdesk.store import repositories as repo
from segdesk.store.audit import append_event
from segdesk.store.engine import Database
from segdesk.store.schema import Finding, FindingEvent, SignOff

# action -> (statuses it may start from, status it leads to)
TRANSITIONS = {
    "acknowledge": (("open",), "acknowledged"),
    "resolve": (("open", "acknowledged"), "resolved"),
    "waive": (("open", "acknowledged"), "waived"),
}


def act_on_finding(db: Database, finding_id: int, action: str, comment: str, *, user: str | None = None,
                   expected_version: int | None = None) -> str:
    """Move a finding along its life; returns the new status. Every step is audited.

    ``expected_version``: the finding's version as the person saw it (``FindingView.version``).
    If someone changed the finding since, the action is refused with who changed it and when,
    instead of acting on a status the person never saw. The check runs inside the write
    transaction, which writers take in turn, so of two people acting at once the second is told
    (tests/acceptance/test_concurrent_changes.py); the ORM's version column would also refuse an
    update made from a stale row rather than let it overwrite."""
    if action not in TRANSITIONS:
        raise InputError(f"unknown action {action!r} (acknowledge, resolve or waive)")
    if not comment.strip():
        raise InputError(f"a comment is required to {action} a finding: say why")
    user = acting_person(db, user, may="act")
    signed_in_as = current_user(db)
    allowed, target = TRANSITIONS[action]
    with db.transaction() as session:
        finding = session.get(Finding, finding_id)
        if finding is None:
            raise InputError(f"no finding {finding_id}")
        latest = repo.latest_run(session, finding.as_of)
        if latest is not None and latest.id != finding.run_id:
            raise InputError(
                f"finding {finding_id} belongs to run {finding.run_id}, which run {latest.id} for "
                f"{finding.as_of} has replaced; act on that run's findings (segdesk reconcile --as-of {finding.as_of})"
            )
        if "reviewer" in repo.sign_offs(session, finding.run_id):
            raise InputError(
                f"run {finding.run_id} for {finding.as_of} is approved and frozen; its findings can no longer change"
            )
        if expected_version is not None and finding.version != expected_version:
            raise StaleChange(_changed_since(session, finding))
        if finding.status not in allowed:
            raise InputError(f"finding {finding_id} is {finding.status}; it cannot be {target} now")
        before = finding.status
        finding.status = target
        session.add(FindingEvent(finding_id=finding.id, from_status=before, to_status=target, user=user,
                                 at=dt.datetime.now(dt.UTC), comment=comment.strip()))
        append_event(session, actor=user, action=f"finding.{action}", entity="finding", entity_id=finding.id,
                     payload={"run": finding.run_id, "kind": finding.kind, "from": before, "to": target,
                              "comment": comment.strip(), "signed_in_as": signed_in_as})
    return target


def sign_off(db: Database, as_of: dt.date, role: str, *, user: str | None = None, comment: str = "",
             expected_run: int | None = None) -> SignOffView:
    """A preparer signs the day's run; then a different person approves it as reviewer.

    ``expected_run``: the run the person looked at. If a newer run replaced it since (someone
    reconciled again), the signature is refused rather than put on figures they never saw."""
    if role not in ("preparer", "reviewer"):
        raise InputError(f"role must be preparer or reviewer, not {role!r}")
    user = acting_person(db, user, may="prepare" if role == "preparer" else "review")
    signed_in_as = current_user(db)
    with db.transaction() as session:
        run = require_current(session, as_of)
        if expected_run is not None and run.id != expected_run:
            raise StaleChange(
                f"run {expected_run} that you looked at was replaced by run {run.id}, made by {run.created_by} at "
                f"{as_utc(run.created_at):%Y-%m-%d %H:%M:%S} UTC; nothing was signed: look at run {run.id} first"
            )
        signed = repo.sign_offs(session, run.id)
        if role in signed:
            raise InputError(f"run {run.id} for {as_of} is already signed as {role} by {signed[role].user} at "
                             f"{as_utc(signed[role].at):%Y-%m-%d %H:%M:%S} UTC")
        if role == "reviewer":
            preparer = signed.get("preparer")
            if preparer is None:
                raise InputError(f"run {run.id} for {as_of} has no preparer sign-off yet; the preparer signs first")
            if same_person(preparer.user, user):
                raise InputError(
                    f"{preparer.user} prepared run {run.id} and '{user}' is the same person; a different "
                    "person must review it (four eyes)"
                )
        at = dt.datetime.now(dt.UTC)
        session.add(SignOff(run_id=run.id, role=role, user=user, at=at, comment=comment))
        append_event(session, actor=user, action=f"sign_off.{role}", entity="run", entity_id=run.id,
                     payload={"as_of": as_of.isoformat(), "role": role, "comment": comment,
                              "fingerprint": run.fingerprint, "signed_in_as": signed_in_as})
    return SignOffView(role, user, at, comment)


class StaleChange(InputError):
    """Someone else changed the record since the person looked at it: reload, look again, then act."""


def _changed_since(session, finding: Finding) -> str:  # type: ignore[no-untyped-def]
    last = repo.events_of_findings(session, [finding.id])[finding.id]
    who = f" by {last[-1].user} at {as_utc(last[-1].at):%Y-%m-%d %H:%M:%S} UTC" if last else ""
    return (f"finding {finding.id} was changed{who} since you opened it (it is {finding.status} now); "
            "nothing was done: look at it again and act if still needed")
