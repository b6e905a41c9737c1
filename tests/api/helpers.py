"""Driving dossiers over HTTP."""

from __future__ import annotations

from typing import Any

from states import examples
from states.lifecycle import Event, State
from tests.api.conftest import ApiWorld
from tests.engine.helpers import PATH_TO, YEAR, authorised_actor
from tests.engine.helpers import payload_for as engine_payload_for


def payload_for(event: Event, dossier: dict[str, Any]) -> dict[str, Any]:
    """The engine tests' valid payload, from the API's view of the dossier."""
    return engine_payload_for(
        event,
        {
            **dossier,
            "subject_type": dossier["unit"]["subject_type"],
            "rule_set_id": dossier["rule_set"]["id"],
        },
    )


def register(api: ApiWorld, unit: dict[str, Any], rep, year: int = YEAR) -> dict[str, Any]:
    body = {
        "unit_id": unit["id"],
        "year": year,
        **examples.registration_payload(unit["subject_type"]),
    }
    r = api.client.post("/api/v1/dossiers", json=body, headers=api.auth(rep))
    assert r.status_code == 201, r.text
    return r.json()


def fire(
    api: ApiWorld, dossier: dict[str, Any], event: Event, actor, body: dict | None = None, **headers
) -> Any:
    return api.client.post(
        f"/api/v1/dossiers/{dossier['id']}/events/{event.value}",
        json=payload_for(event, dossier) if body is None else body,
        headers={**api.auth(actor), "If-Match": f'"{dossier["version"]}"', **headers},
    )


def engine_view(dossier: dict[str, Any]) -> dict[str, Any]:
    return {
        "state": dossier["state"],
        "subject_type": dossier["unit"]["subject_type"],
        "managing_level": dossier["unit"]["managing_level"],
    }


def walk(api: ApiWorld, unit_key: str, state: State, year: int = YEAR) -> dict[str, Any]:
    unit = api.world.units[unit_key]
    rep = api.world.unit_actor(unit)
    d = register(api, unit, rep, year)
    for event in PATH_TO[state]:
        actor = authorised_actor(api.world, engine_view(d), event, rep)
        r = fire(api, d, event, actor)
        assert r.status_code == 200, r.text
        d = r.json()
    assert d["state"] == state.value
    return d
