"""The user lifecycle in the engine: every operation, every refusal naming its rule, the token's
reasons for refusal, and the hash-chained trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import text

from tests.conftest import ON_POSTGRES
from tests.factories import OTHER_PROVINCE, PROVINCE, build_world
from workflow import audit, user_trail, users
from workflow.db import read_connection, write_transaction
from workflow.errors import Conflict, Forbidden, InvalidInput, NotFound
from workflow.tokens import aware


@pytest.fixture
def world(engine):
    return build_world()


def admin(world, where="province"):
    return world.actor("province_admin", where)


def test_create_records_contact_expiry_and_the_first_trail_row(world):
    actor, token = users.create_user(
        name="Nguyễn Văn An",
        role="police",
        territory_code=str(world.commune),
        email="An.NV@CongAn.GOV.vn",
        phone="+84 912 345 678",
        by=admin(world),
        request_id="req-1",
    )
    record = users.get_user(actor.id)
    assert record["email"] == "an.nv@congan.gov.vn" and record["phone"] == "0912345678"
    assert record["notify_mode"] == "immediate" and record["active"] is True
    expires = aware(record["token_expires_at"]) - aware(record["created_at"])
    assert expires == timedelta(days=365)
    assert users.authenticate(token).id == actor.id
    [row] = users.user_trail_of(actor.id)
    assert row["event"] == "created" and row["actor_id"] == admin(world).id
    assert row["after"]["role"] == "police" and row["request_id"] == "req-1"
    assert "token" not in str(row["after"]).replace("token_expires_at", "")


@pytest.mark.parametrize(
    "field, value, words",
    [
        ("email", "not-an-address", "email"),
        ("email", "a@b", "email"),
        ("phone", "12345", "Vietnamese phone"),
        ("phone", "+1 202 555 0100", "Vietnamese phone"),
    ],
)
def test_bad_contact_is_422_with_the_reason(world, field, value, words):
    with pytest.raises(InvalidInput) as e:
        users.create_user(
            name="X", role="police", territory_code=str(world.commune), **{field: value}
        )
    assert words in e.value.detail


def test_a_duplicate_email_is_409(world):
    users.create_user(name="A", role="police", territory_code="51", email="a@congan.gov.vn")
    with pytest.raises(Conflict) as e:
        users.create_user(name="B", role="ubnd", territory_code="51", email="A@congan.gov.vn")
    assert "a@congan.gov.vn" in e.value.detail
    other, _ = users.create_user(name="C", role="ubnd", territory_code="51")
    with pytest.raises(Conflict):
        users.update_user(other.id, {"email": "a@congan.gov.vn"}, by=admin(world))


def test_only_a_province_admin_manages_and_only_in_its_province(world):
    with pytest.raises(Forbidden) as e:
        users.create_user(
            name="X", role="police", territory_code=str(world.commune), by=world.actor("police")
        )
    assert "only a province administrator" in e.value.detail
    with pytest.raises(Forbidden) as e:
        users.create_user(
            name="X", role="police", territory_code=str(PROVINCE), by=admin(world, "other_province")
        )
    assert "outside your territory" in e.value.detail
    target = world.actor("police")
    with pytest.raises(NotFound):  # outside the territory the user does not exist
        users.deactivate_user(target.id, by=admin(world, "other_province"))
    with pytest.raises(NotFound):
        users.get_user(target.id, by=admin(world, "other_province"))
    with pytest.raises(Forbidden):  # inside it, a reviewer is told the rule
        users.deactivate_user(target.id, by=world.actor("commune_reviewer"))
    with pytest.raises(Forbidden) as e:  # nor moved out of the province
        users.update_user(target.id, {"territory": str(OTHER_PROVINCE)}, by=admin(world))
    assert "outside your territory" in e.value.detail


def test_nobody_changes_their_own_role_nor_deactivates_themselves(world):
    me = admin(world)
    with pytest.raises(Forbidden) as e:
        users.update_user(me.id, {"role": "auditor"}, by=me)
    assert "own role" in e.value.detail
    with pytest.raises(Forbidden) as e:
        users.deactivate_user(me.id, by=me)
    assert "own account" in e.value.detail
    assert users.update_user(me.id, {"phone": "0912345678"}, by=me)["phone"] == "0912345678"


def test_a_unit_user_is_bound_to_its_unit(world):
    rep = world.actor("unit", "KDC")
    with pytest.raises(InvalidInput) as e:
        users.update_user(rep.id, {"territory": str(world.commune)}, by=admin(world))
    assert "bound to its unit" in e.value.detail
    moved = users.update_user(rep.id, {"unit_id": world.units["other_KDC"]["id"]}, by=admin(world))
    assert moved["commune_code"] == world.other_commune
    assert users.user_trail_of(rep.id)[-1]["event"] == "territory_changed"
    with pytest.raises(InvalidInput):
        users.create_user(name="X", role="police", unit_id=world.units["KDC"]["id"])


def test_role_change_is_in_the_trail_with_before_and_after(world):
    target = world.actor("police")
    changed = users.update_user(target.id, {"role": "ubnd"}, by=admin(world), request_id="r2")
    assert changed["role"] == "ubnd" and changed["commune_code"] == world.commune
    last = users.user_trail_of(target.id)[-1]
    assert last["event"] == "role_changed"
    assert last["before"]["role"] == "police" and last["after"]["role"] == "ubnd"
    with pytest.raises(InvalidInput):
        users.update_user(target.id, {"role": "commune_reviewer", "territory": "51"}, by=None)
    with pytest.raises(InvalidInput):
        users.update_user(target.id, {"notify_mode": "hourly"}, by=None)
    assert users.update_user(target.id, {"notify_mode": "digest"}, by=None)["notify_mode"] == (
        "digest"
    )


def test_deactivate_and_reactivate_take_effect_at_once(world):
    target, token = users.create_user(name="X", role="police", territory_code="51")
    users.deactivate_user(target.id, by=admin(world))
    assert users.authenticate(token) is None
    assert users.token_refusal(token).reason == "deactivated"
    with pytest.raises(Conflict):
        users.deactivate_user(target.id, by=admin(world))
    users.reactivate_user(target.id, by=admin(world))
    assert users.authenticate(token).id == target.id
    with pytest.raises(Conflict):
        users.reactivate_user(target.id, by=admin(world))
    events = [r["event"] for r in users.user_trail_of(target.id)]
    assert events == ["created", "deactivated", "reactivated"]


def test_rotation_stops_the_old_token_at_once_and_recognises_it(world):
    target, old = users.create_user(name="X", role="police", territory_code="51")
    record, new = users.rotate_token(target.id, by=admin(world))
    assert new != old and users.authenticate(old) is None
    assert users.authenticate(new).id == target.id
    refusal = users.token_refusal(old)
    assert refusal.reason == "rotated" and "rotated" in refusal.detail
    assert record["token_rotated_at"] is not None
    assert users.token_refusal("never-issued").reason == "unknown"
    assert users.user_trail_of(target.id)[-1]["event"] == "token_rotated"
    mine, mine_new = users.rotate_token(target.id, by=users.authenticate(new))  # one's own
    assert users.authenticate(mine_new) and users.authenticate(new) is None


def test_an_expired_token_is_refused_saying_when(world, monkeypatch):
    monkeypatch.setenv("TOKEN_TTL_DAYS", "2")
    from workflow.settings import get_settings

    get_settings.cache_clear()
    try:
        target, token = users.create_user(name="X", role="police", territory_code="51")
    finally:
        monkeypatch.delenv("TOKEN_TTL_DAYS")
        get_settings.cache_clear()
    assert users.authenticate(token) is not None
    with time_machine.travel(datetime.now(UTC) + timedelta(days=3)):
        assert users.authenticate(token) is None
        refusal = users.token_refusal(token)
    assert refusal.reason == "expired" and "expired on" in refusal.detail


def test_last_used_is_written_at_most_once_a_minute(world):
    target, token = users.create_user(name="X", role="police", territory_code="51")
    start = datetime.now(UTC)
    users.authenticate(token, now=start)
    first = aware(users.get_user(target.id)["last_used_at"])
    users.authenticate(token, now=start + timedelta(seconds=30))
    assert aware(users.get_user(target.id)["last_used_at"]) == first
    users.authenticate(token, now=start + timedelta(seconds=61))
    assert aware(users.get_user(target.id)["last_used_at"]) > first


def test_list_filters_and_keyset_pages(world):
    by = admin(world)
    seen, cursor = [], None
    while True:
        with read_connection() as conn:
            page, cursor = users.list_users(conn, by, limit=3, cursor=cursor)
        seen += page
        if cursor is None:
            break
    assert len(seen) == len({r["id"] for r in seen}) > 3
    assert all(r["province_code"] == PROVINCE for r in seen)
    with read_connection() as conn:
        police, _ = users.list_users(conn, by, role="police", territory_code=str(world.commune))
    assert [r["role"] for r in police] == ["police"]
    users.deactivate_user(police[0]["id"], by=by)
    with read_connection() as conn:
        inactive, _ = users.list_users(conn, by, active=False)
        assert [r["id"] for r in inactive] == [police[0]["id"]]
        with pytest.raises(Forbidden):
            users.list_users(conn, world.actor("police"))
        with pytest.raises(InvalidInput):
            users.list_users(conn, by, cursor="garbage")


def test_resolve_by_id_or_exact_name_and_ambiguity_lists_candidates(world):
    a, _ = users.create_user(name="Trần Thị Bình", role="police", territory_code="51")
    assert users.resolve_user(str(a.id)) == a.id
    assert users.resolve_user("Trần Thị Bình") == a.id
    b, _ = users.create_user(name="Trần Thị Bình", role="ubnd", territory_code="51")
    with pytest.raises(Conflict) as e:
        users.resolve_user("Trần Thị Bình")
    assert str(a.id) in e.value.detail and str(b.id) in e.value.detail
    with pytest.raises(NotFound):
        users.resolve_user("nobody")


def test_every_user_trail_verifies_and_tampering_is_detected(world):
    target, _ = users.create_user(name="X", role="police", territory_code="51")
    users.update_user(target.id, {"role": "ubnd"}, by=admin(world))
    with read_connection() as conn:
        checked, findings = audit.verify_users(conn)
    assert checked >= 20 and findings == []
    with write_transaction() as conn:
        if ON_POSTGRES:  # the trigger refuses; an owner who turns it off is still caught
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(text("DROP TRIGGER user_event_no_update"))
        conn.execute(
            text("UPDATE user_event SET after = :a WHERE user_id = :u AND seq = 2"),
            {"a": '{"role":"province_admin"}', "u": target.id},
        )
    with read_connection() as conn:
        _, findings = user_trail.verify(conn)
    assert [(f.user_id, f.seq) for f in findings] == [(target.id, 2)]
    assert "edited" in findings[0].problem


def test_the_database_refuses_to_change_a_user_trail_row(world):
    from sqlalchemy.exc import DatabaseError

    with pytest.raises(DatabaseError), write_transaction() as conn:
        conn.execute(text("DELETE FROM user_event"))
