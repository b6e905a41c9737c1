"""One HTTP client's share of the standard workload: register its units, then walk each dossier
through submit_self_score, commune_approve, police_verify and recognise, each request as the seat
the authority map names, in a random order across the dossiers (`bench crash`, `bench soak`)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from bench.http import YEAR, seat_token
from bench.lifecycle import EVENTS, bench_payload
from states import examples

DOSSIERS = "/api/v1/dossiers"


@dataclass
class Change:
    """The next change to send; ``walking`` is None for a registration."""

    url: str
    headers: dict[str, str]
    json: dict[str, Any]
    unit: dict[str, Any]
    walking: dict[str, Any] | None


class Walker:
    def __init__(
        self,
        units: list[dict[str, Any]],
        unit_tokens: dict[int, str],
        seat_tokens: dict[tuple, str],
        rng: random.Random,
        register_share: float = 0.3,
    ) -> None:
        self.to_register = list(units)
        self.walking: list[dict[str, Any]] = []  # {"id", "unit", "version", "step"}
        self.known: list[dict[str, Any]] = []  # every dossier registered, for reads
        self.unit_tokens, self.seat_tokens, self.rng = unit_tokens, seat_tokens, rng
        self.register_share = register_share

    def has_work(self) -> bool:
        return bool(self.to_register or self.walking)

    def next_change(self) -> Change:
        # An Idempotency-Key on every change: a retry after a lost answer is then safe.
        key = {"Idempotency-Key": uuid.uuid4().hex}
        if self.to_register and (not self.walking or self.rng.random() < self.register_share):
            unit = self.to_register.pop()
            return Change(
                DOSSIERS,
                {"Authorization": f"Bearer {self.unit_tokens[unit['id']]}", **key},
                {
                    "unit_id": unit["id"],
                    "year": YEAR,
                    **examples.registration_payload(unit["subject_type"]),
                },
                unit,
                None,
            )
        d = self.rng.choice(self.walking)
        event = EVENTS[d["step"]]
        token = seat_token(event, d["unit"], self.unit_tokens, self.seat_tokens)
        return Change(
            f"{DOSSIERS}/{d['id']}/events/{event.value}",
            {"Authorization": f"Bearer {token}", "If-Match": f'"{d["version"]}"', **key},
            bench_payload(event, d["unit"]["subject_type"]),
            d["unit"],
            d,
        )

    def answered(self, change: Change, r: httpx.Response) -> dict[str, Any] | None:
        """The acknowledged dossier (its id, version and state), or None when refused."""
        d = change.walking
        if r.status_code != (201 if d is None else 200):
            if d is not None:
                self.walking.remove(d)  # refused: this dossier goes no further
            return None
        body = r.json()
        if d is None:
            d = {"id": body["id"], "unit": change.unit, "version": body["version"], "step": 0}
            self.walking.append(d)
            self.known.append(d)
        else:
            d["version"], d["step"] = body["version"], d["step"] + 1
            if d["step"] == len(EVENTS):
                self.walking.remove(d)
        return body

    def read_target(self) -> tuple[str, dict[str, str], dict[str, Any]] | None:
        """A dossier this client registered, with its unit's token, to read back."""
        if not self.known:
            return None
        d = self.rng.choice(self.known)
        return (
            f"{DOSSIERS}/{d['id']}",
            {"Authorization": f"Bearer {self.unit_tokens[d['unit']['id']]}"},
            d,
        )
