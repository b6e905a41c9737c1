"""Rule sets: the rules of one (province, year, subject type), pinned to a dossier at registration.

Core shape only; the criteria, the score table and the deadlines are added as sections.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from states.subjects import SubjectType


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    revocation_enabled: bool = False
    max_returns_per_step: int = Field(default=1, ge=0)
    recognition_target_pct: int = Field(default=80, ge=0, le=100)


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    province_code: int | None = None  # None: the national default
    year: int
    subject_type: SubjectType
    version: int = 1
    policy: Policy = Policy()
    deadlines: dict = Field(default_factory=dict)

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str) -> "RuleSet":
        return cls.model_validate_json(text)


def national_default(year: int, subject_type: SubjectType) -> RuleSet:
    return RuleSet(year=year, subject_type=subject_type)
