"""Roles: once granted, each write checks the acting person's duty in the service itself."""

from __future__ import annotations

import datetime as dt

import pytest

from segdesk.domain.problems import InputError
from segdesk.services import accounts as acc
from segdesk.services.audit_trail import verify_audit_trail
from segdesk.services.demo import DEMO_DIR, load_demo
from segdesk.services.importing import import_statement
from segdesk.services.exporting import gather, set_entity_name
from segdesk.services.findings import act_on_finding, sign_off
from segdesk.services.people import grant_role, list_roles, revoke_role
from segdesk.services.reconciling import current_run, reconcile
from segdesk.store.schema import AuditEvent

D = dt.date(2026, 11, 20)
ZETA = {"source": "Northbridge Custody", "account": "0012345-01", "reference": "ZETA", "sub_account": "C-ALPHA"}


@pytest.fixture
def team(backend):
    """The demo fund, then a team: ann administers, carol prepares, dave reviews, erin exports, kim
    keeps the chart. ``as_(person)``: the database as that person reaches it (their own login on
    PostgreSQL)."""
    load_demo(backend.open())
    grant_role(backend.open("ann"), "Ann", "admin", user="ann")
    for person, role in (("carol", "preparer"), ("dave", "reviewer"), ("erin", "exporter"), ("kim", "chart")):
        grant_role(backend.open("ann"), person, role, user="ann")
    return backend.open


def test_with_no_role_granted_one_person_may_do_everything(db):
    load_demo(db)
    acc.add_mapping(db, **ZETA, user="anyone")
    run = reconcile(db, D, user="anyone")
    act_on_finding(db, run.findings[0].id, "acknowledge", "looking", user="anyone")
    assert list_roles(db) == []


def test_the_first_role_granted_must_be_admin(db):
    with pytest.raises(InputError, match=r'no roles are in use yet: the first role granted must be admin .*'
                                         r'segdesk roles grant "jane" admin'):
        grant_role(db, "bob", "importer", user="jane")
    with pytest.raises(InputError, match=r"there is no role 'boss'; the roles are: admin \(grants and revokes roles\);"):
        grant_role(db, "bob", "boss", user="jane")
    assert list_roles(db) == []


def test_each_duty_needs_its_role_and_the_refusal_says_which(team):
    events = _event_count(team())
    refusal = (r"^carol may not change the chart of accounts, mappings and settings: that needs the chart role, and "
               r'carol has preparer. An administrator can grant it: segdesk roles grant "carol" chart$')
    with pytest.raises(InputError, match=refusal):
        acc.add_mapping(team("carol"), **ZETA, user="carol")
    assert _event_count(team()) == events  # nothing written, not even an attempt
    acc.add_mapping(team("kim"), **ZETA, user="kim")
    with pytest.raises(InputError, match="kim may not import statements, prices and ledgers: that needs the importer "
                                         "role, and kim has chart"):
        import_statement(team("kim"), DEMO_DIR / "helix_2026-11-20.csv", DEMO_DIR / "profiles" / "helix.toml",
                         user="kim")
    assert _event_count(team()) == events + 1  # the mapping only: the refused import left nothing

    with pytest.raises(InputError, match="erin may not reconcile a day: that needs the preparer or reviewer role"):
        reconcile(team("erin"), D, user="erin")
    run = reconcile(team("carol"), D, user="carol")
    # Looking at an unchanged day writes nothing: anyone may.
    assert reconcile(team("erin"), D, user="erin").run_id == run.run_id

    finding = run.findings[0]
    with pytest.raises(InputError, match="kim may not acknowledge, resolve or waive findings"):
        act_on_finding(team("kim"), finding.id, "acknowledge", "mine now", user="kim")
    act_on_finding(team("carol"), finding.id, "acknowledge", "calling the client", user="carol")
    act_on_finding(team("dave"), finding.id, "resolve", "settled", user="dave")

    with pytest.raises(InputError, match="dave may not sign a run off as preparer: that needs the preparer role, and "
                                         "dave has reviewer"):
        sign_off(team("dave"), D, "preparer", user="dave")
    sign_off(team("carol"), D, "preparer", user="carol")
    with pytest.raises(InputError, match="carol may not approve a run as reviewer"):
        sign_off(team("carol"), D, "reviewer", user="carol")
    sign_off(team("dave"), D, "reviewer", user="dave")
    assert set(current_run(team(), D).sign_offs) == {"preparer", "reviewer"}

    with pytest.raises(InputError, match="carol may not export audit packs: that needs the exporter role"):
        gather(team("carol"), D, user="carol")
    assert gather(team("erin"), D, user="erin").exported_by == "erin"
    entity = gather(team("erin"), D, user="erin").entity
    set_entity_name(team("erin"), entity, user="erin")  # naming it as it is: no duty needed
    with pytest.raises(InputError, match="erin may not change the chart"):
        set_entity_name(team("erin"), "Another Fund Ltd", user="erin")
    assert verify_audit_trail(team()).intact


def test_names_match_as_people_not_spellings(team):
    acc.add_mapping(team("kim"), **ZETA, user="  KIM ")
    assert {(r.person, r.role) for r in list_roles(team())} >= {("ann", "admin"), ("kim", "chart")}


def test_only_an_admin_grants_or_revokes_and_the_last_admin_stays(team):
    with pytest.raises(InputError, match="carol may not grant and revoke roles: that needs the admin role"):
        grant_role(team("carol"), "carol", "reviewer", user="carol")
    with pytest.raises(InputError, match="carol may not grant and revoke roles"):
        revoke_role(team("carol"), "dave", "reviewer", user="carol")
    with pytest.raises(InputError, match="ann is the last administrator; grant admin to someone else first"):
        revoke_role(team("ann"), "ann", "admin", user="ann")
    with pytest.raises(InputError, match="dave already has the reviewer role"):
        grant_role(team("ann"), "Dave", "reviewer", user="ann")
    revoke_role(team("ann"), "dave", "reviewer", user="ann")
    with pytest.raises(InputError, match="dave does not have the reviewer role"):
        revoke_role(team("ann"), "dave", "reviewer", user="ann")
    with team().reading() as session:
        actions = [(e.action, e.actor, e.entity_id) for e in session.query(AuditEvent).filter(
            AuditEvent.action.like("role.%")).order_by(AuditEvent.seq)]
    assert actions[0] == ("role.grant", "ann", "ann") and actions[-1] == ("role.revoke", "ann", "dave")
    assert verify_audit_trail(team()).intact


def _event_count(db) -> int:
    with db.reading() as session:
        return session.query(AuditEvent).count()


def test_roles_from_the_command_line(tmp_path):
    from tests.acceptance.cli import segdesk

    desk = tmp_path / "desk.sqlite3"
    assert segdesk("init", db=desk).code == 0
    assert segdesk("roles", "list", db=desk).out.startswith("No roles granted")
    first = segdesk("roles", "grant", "bob", "importer", "--user", "jane", db=desk)
    assert first.code == 2 and "the first role granted must be admin" in first.err
    assert segdesk("roles", "grant", "jane", "admin", "--user", "jane", db=desk).code == 0
    done = segdesk("roles", "grant", " Bob ", "Importer", "--user", "jane", db=desk)
    assert done.code == 0 and done.out.strip() == "bob now has the importer role (granted by jane)"
    refused = segdesk("roles", "revoke", "jane", "admin", "--user", "bob", db=desk)
    assert refused.code == 2 and "bob may not grant and revoke roles: that needs the admin role" in refused.err
    listed = segdesk("roles", "list", db=desk).out.splitlines()
    assert [line.split()[:2] for line in listed] == [["bob", "importer"], ["jane", "admin"]]
    assert "granted by jane at 20" in listed[0]
