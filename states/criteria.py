"""The criteria checklists of Thông tư 124/2021/TT-BCA, one per subject type, as data.

Every criterion must hold for a unit to be recognised (the outcome is đạt / chưa đạt, no points).
Kinds: REG (registered and planned in quarter I), POS (carried out policy and local rules), NEG
(must not have happened in the window), PCT (a ratio against a threshold), FORCE (the security
force's rating). Labels are Vietnamese first (the words of the seeds and the circular) with an
English gloss; ids are short English codes ("NEG-3") that reasons and assessments refer to.

These tuples are the *national default*; a rule set copies them and a province may add to them
(``states.rulesets``), so the engine always reads criteria from the dossier's pinned rule set.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from states.subjects import SubjectType


class CriterionKind(str, Enum):
    REG = "REG"
    POS = "POS"
    NEG = "NEG"
    PCT = "PCT"
    FORCE = "FORCE"


KIND_LABELS: dict[CriterionKind, tuple[str, str]] = {
    CriterionKind.REG: (
        "Đăng ký, xây dựng kế hoạch trong quý I",
        "Registered and planned in quarter I",
    ),
    CriterionKind.POS: ("Triển khai thực hiện đầy đủ", "Carried out policy and local rules"),
    CriterionKind.NEG: ("Không để xảy ra", "Must not have happened"),
    CriterionKind.PCT: ("Tỷ lệ đạt", "Ratio against a threshold"),
    CriterionKind.FORCE: ("Lực lượng bảo vệ ANTT", "Security force rating"),
}


class Exemption(str, Enum):
    """Why a NEG event that happened does not disqualify (the circular's two exceptions)."""

    FORCE_MAJEURE = "force_majeure"  # trừ trường hợp bất khả kháng
    DETECTED_AND_REPORTED = "detected_and_reported"  # kịp thời phát hiện và báo cáo ngay


EXEMPTION_LABELS: dict[Exemption, tuple[str, str]] = {
    Exemption.FORCE_MAJEURE: ("Bất khả kháng", "Force majeure"),
    Exemption.DETECTED_AND_REPORTED: (
        "Kịp thời phát hiện, giảm thiểu hậu quả và báo cáo ngay cấp có thẩm quyền",
        "Detected promptly, consequences limited and reported at once",
    ),
}


class EngineMeasure(str, Enum):
    """Counts the engine takes from other dossiers instead of asking the unit."""

    UNITS_REGISTERED = "units_registered"  # units the commune manages that registered this year
    UNITS_RECOGNISED = "units_recognised"  # ... that were recognised this year


ID_PATTERN = re.compile(r"^[A-Z]+-[A-Za-z0-9_]+$")


class Criterion(BaseModel):
    """One line of a checklist. Structure only here; cross-field rules are in ``criteria_problems``
    so that a rule set can report every problem at once instead of the first one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=40)
    kind: CriterionKind
    label_vi: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    # NEG only: the exemptions the law allows for this event (most NEG criteria allow none).
    exemptions: tuple[Exemption, ...] = ()
    # PCT only: the threshold in whole percent (100 = every one; 70 = at least ceil(0.7 N)).
    threshold_pct: int | None = Field(default=None, ge=1, le=100)
    # PCT only: what the counts are, as the user reads them ("hộ đăng ký / tổng số hộ").
    counts_vi: str | None = None
    counts_en: str | None = None
    # PCT only: whether a denominator of 0 is met vacuously (an agency with no sub-units).
    allow_zero: bool = False
    # PCT only: set when the engine counts the ratio from other dossiers (a commune's units
    # registered / recognised); such a criterion is never typed in by the unit.
    measure: EngineMeasure | None = None

    def name(self) -> tuple[str, str]:
        """How a reason names the criterion: 'Tiêu chí NEG-3 (…)' / 'criterion NEG-3 (…)'."""
        return (f"Tiêu chí {self.id} ({self.label_vi})", f"criterion {self.id} ({self.label_en})")


def criteria_problems(criteria: Iterable[Criterion]) -> list[str]:
    """Every problem of a checklist (empty list: valid)."""
    criteria = list(criteria)
    problems: list[str] = []
    if not criteria:
        problems.append("Danh sách tiêu chí trống / the checklist has no criteria")
    for cid, n in Counter(c.id for c in criteria).items():
        if n > 1:
            problems.append(
                f"Mã tiêu chí '{cid}' bị trùng {n} lần / criterion id '{cid}' is used {n} times"
            )
    for c in criteria:
        problems.extend(_criterion_problems(c))
    return problems


def _criterion_problems(c: Criterion) -> list[str]:
    out: list[str] = []
    if not ID_PATTERN.match(c.id):
        out.append(
            f"Mã tiêu chí '{c.id}' không đúng dạng KIND-n / criterion id '{c.id}' must look "
            "like 'NEG-3' (capitals, a dash, letters or digits)"
        )
    is_pct = c.kind is CriterionKind.PCT
    if is_pct and c.threshold_pct is None:
        out.append(
            f"Tiêu chí {c.id}: thiếu ngưỡng tỷ lệ / criterion {c.id}: a PCT criterion needs "
            "threshold_pct"
        )
    if not is_pct and (c.threshold_pct is not None or c.allow_zero or c.counts_vi or c.counts_en):
        out.append(
            f"Tiêu chí {c.id}: chỉ tiêu chí PCT mới có ngưỡng, số đếm / criterion {c.id}: "
            "only PCT criteria take threshold_pct, counts and allow_zero"
        )
    if c.measure is not None and not is_pct:
        out.append(
            f"Tiêu chí {c.id}: chỉ tiêu chí PCT mới do hệ thống tự đếm / criterion {c.id}: "
            "only PCT criteria can be counted by the engine"
        )
    if c.exemptions and c.kind is not CriterionKind.NEG:
        out.append(
            f"Tiêu chí {c.id}: chỉ tiêu chí NEG mới có miễn trừ / criterion {c.id}: only NEG "
            "criteria take exemptions"
        )
    if len(set(c.exemptions)) != len(c.exemptions):
        out.append(
            f"Tiêu chí {c.id}: miễn trừ bị lặp / criterion {c.id}: an exemption is listed twice"
        )
    return out


# ------------------------------------------------------------------------------------------------
# The national default checklists. Wording follows TT 124/2021 as the seeds quote it
# (000_*.txt lists the CQ/DN criteria verbatim); labels are kept to one sentence each.

_BOTH = (Exemption.FORCE_MAJEURE, Exemption.DETECTED_AND_REPORTED)
_FM = (Exemption.FORCE_MAJEURE,)


def _c(id: str, kind: CriterionKind, vi: str, en: str, **kw: Any) -> Criterion:
    return Criterion(id=id, kind=kind, label_vi=vi, label_en=en, **kw)


_R, _P, _N, _T, _F = (
    CriterionKind.REG,
    CriterionKind.POS,
    CriterionKind.NEG,
    CriterionKind.PCT,
    CriterionKind.FORCE,
)

_POS_COMMON = _c(
    "POS-1",
    _P,
    "Triển khai, thực hiện đầy đủ các chủ trương, đường lối của Đảng, chính sách, pháp luật của "
    "Nhà nước và các quy định của địa phương về công tác bảo đảm ANTT",
    "Carried out the Party's and the State's policy and the local rules on security and order",
)

# The residential-area events the circular forbids; a commune answers them for its whole territory.
_KDC_NEG = (
    _c(
        "NEG-1",
        _N,
        "Hoạt động chống Đảng, chính quyền, phá hoại khối đại đoàn kết toàn dân tộc",
        "Activity against the Party or the State, or undermining national unity",
    ),
    _c(
        "NEG-2",
        _N,
        "Phá hoại các mục tiêu, công trình trọng điểm về kinh tế, văn hóa, an ninh, quốc phòng",
        "Sabotage of key economic, cultural, security or defence works",
    ),
    _c(
        "NEG-3",
        _N,
        "Tuyên truyền, phát triển tín ngưỡng, tôn giáo trái pháp luật",
        "Unlawful religious propaganda or proselytising",
    ),
    _c(
        "NEG-4",
        _N,
        "Lợi dụng tín ngưỡng, tôn giáo, dân tộc, tranh chấp, khiếu kiện gây phức tạp về ANTT",
        "Exploiting religion, ethnicity, disputes or complaints to disturb order",
    ),
    _c("NEG-5", _N, "Hoạt động ly khai, tự quản, tự trị", "Separatist or self-rule activity"),
    _c(
        "NEG-6",
        _N,
        "Mâu thuẫn, tranh chấp phức tạp kéo dài trong nội bộ Nhân dân",
        "Long-running, complex disputes among residents",
    ),
    _c(
        "NEG-7",
        _N,
        "Kích động, lôi kéo người khác tập trung đông người khiếu nại, gây rối ANTT",
        "Inciting mass complaints or public disorder",
    ),
    _c(
        "NEG-8",
        _N,
        "Tội phạm, vi phạm pháp luật về ANTT tăng so với năm trước",
        "Crime and public-order offences rose compared with the previous year",
    ),
    _c(
        "NEG-9",
        _N,
        "Tội phạm nghiêm trọng trở lên",
        "A crime of 'serious' level or above",
        exemptions=_BOTH,
    ),
    _c(
        "NEG-10",
        _N,
        "Phát sinh tụ điểm phức tạp về ANTT hoặc người mắc tệ nạn xã hội mới",
        "A new public-order hotspot or a new person with a social evil",
    ),
    _c(
        "NEG-11",
        _N,
        "Cháy, nổ nghiêm trọng, tai nạn lao động hoặc tai nạn giao thông chết người",
        "A serious fire or explosion, or a fatal work or traffic accident",
        exemptions=_FM,
    ),
)

KDC_CRITERIA: tuple[Criterion, ...] = (
    _c(
        "REG-1",
        _R,
        "Quý I, chi bộ có nghị quyết (nơi có chi bộ), khu dân cư có kế hoạch bảo đảm "
        'ANTT và đăng ký phấn đấu đạt tiêu chuẩn "An toàn về an ninh, trật tự"',
        "In quarter I: a Party-cell resolution where one exists, an ANTT plan and the registration",
    ),
    _c(
        "PCT-1",
        _T,
        '100% hộ gia đình đăng ký thực hiện tiêu chuẩn "An toàn về an ninh, trật tự"',
        "Every household registered",
        threshold_pct=100,
        counts_vi="số hộ đã đăng ký / tổng số hộ",
        counts_en="households registered / households",
    ),
    _POS_COMMON,
    *_KDC_NEG,
    _c(
        "FORCE-1",
        _F,
        'Lực lượng tham gia bảo vệ ANTT ở cơ sở được xếp loại "Hoàn thành nhiệm vụ" '
        "trở lên, không có cá nhân bị xử lý kỷ luật",
        "Grassroots security forces rated 'completed their duties' or better, none disciplined",
    ),
)

XA_CRITERIA: tuple[Criterion, ...] = (
    _c(
        "REG-1",
        _R,
        "Quý I, đảng ủy có nghị quyết, UBND có kế hoạch bảo đảm ANTT và đăng ký phấn "
        'đấu đạt tiêu chuẩn "An toàn về an ninh, trật tự"',
        "In quarter I: a Party resolution, an ANTT plan and the registration",
    ),
    _c(
        "REG-2",
        _R,
        "Có ít nhất 01 mô hình phong trào toàn dân bảo vệ ANTQ hoạt động hiệu quả",
        "At least one effective movement model",
    ),
    _POS_COMMON,
    *_KDC_NEG,
    _c(
        "FORCE-1",
        _F,
        "Công an xã tham mưu tốt cho cấp ủy, chính quyền; không có cán bộ, chiến sĩ "
        "bị xử lý kỷ luật",
        "The commune police advise well; no officer disciplined",
    ),
    # Counted by the engine from the dossiers of the units the commune manages (domain.md): the
    # commune's decision waits for theirs.
    _c(
        "PCT-1",
        _T,
        "100% khu dân cư, cơ quan, doanh nghiệp, cơ sở giáo dục thuộc phạm vi quản lý "
        "đăng ký phấn đấu đạt tiêu chuẩn",
        "Every unit the commune manages registered",
        threshold_pct=100,
        measure=EngineMeasure.UNITS_REGISTERED,
        counts_vi="đơn vị đã đăng ký / đơn vị thuộc phạm vi quản lý",
        counts_en="units registered / units managed",
    ),
    _c(
        "PCT-2",
        _T,
        "Từ 70% trở lên khu dân cư, cơ quan, doanh nghiệp, cơ sở giáo dục thuộc phạm vi "
        "quản lý được công nhận đạt tiêu chuẩn",
        "At least 70% of the units it manages recognised",
        threshold_pct=70,
        measure=EngineMeasure.UNITS_RECOGNISED,
        counts_vi="đơn vị được công nhận / đơn vị thuộc phạm vi quản lý",
        counts_en="units recognised / units managed",
    ),
)


def _agency_criteria(
    briefed_vi: str, briefed_en: str, extra_neg: tuple[Criterion, ...] = ()
) -> tuple[Criterion, ...]:
    """CQ, DN and CSGD share one checklist (000_*.txt); a school adds its own NEG lines."""
    return (
        _c(
            "REG-1",
            _R,
            "Quý I, cấp ủy có nghị quyết (nơi có tổ chức Đảng); có kế hoạch bảo đảm ANTT "
            'và đăng ký phấn đấu đạt tiêu chuẩn "An toàn về an ninh, trật tự"',
            "In quarter I: a Party resolution where one exists, an ANTT plan and the registration",
        ),
        _c(
            "REG-2",
            _R,
            "Có nội quy, quy định bảo vệ cơ quan, bảo vệ bí mật nhà nước, bảo vệ chính "
            "trị nội bộ, an toàn lao động, phòng, chống cháy nổ, bảo vệ môi trường",
            "Rules on protection, state secrets, internal politics, labour safety, fire and "
            "environment",
        ),
        _c("REG-3", _R, briefed_vi, briefed_en),
        _c(
            "REG-4",
            _R,
            "Có ít nhất 01 mô hình phong trào toàn dân bảo vệ ANTQ hoạt động hiệu quả",
            "At least one effective movement model",
        ),
        _c(
            "POS-1",
            _P,
            "Triển khai, thực hiện đầy đủ các chủ trương của Đảng, chính sách, pháp luật "
            "của Nhà nước, quy chế phối hợp với lực lượng Công an và quy định của địa phương về ANTT",
            "Carried out policy, the coordination rules with the police and local ANTT rules",
        ),
        _c(
            "NEG-1",
            _N,
            "Tuyên truyền, phát triển tín ngưỡng, tôn giáo trái pháp luật",
            "Unlawful religious propaganda or proselytising",
        ),
        _c(
            "NEG-2",
            _N,
            "Hoạt động lợi dụng tín ngưỡng, tôn giáo, dân tộc, tranh chấp, khiếu kiện "
            "gây phức tạp về ANTT",
            "Exploiting religion, ethnicity, disputes or complaints",
        ),
        _c(
            "NEG-3",
            _N,
            "Kích động, lôi kéo người khác tập trung đông người khiếu nại, gây rối ANTT công cộng",
            "Inciting mass complaints or public disorder",
        ),
        _c("NEG-4", _N, "Đình công trái pháp luật", "An illegal strike"),
        _c(
            "NEG-5",
            _N,
            "Tội phạm nghiêm trọng trở lên",
            "A crime of 'serious' level or above",
            exemptions=_BOTH,
        ),
        _c(
            "NEG-6",
            _N,
            "Vi phạm các quy định về bảo vệ bí mật nhà nước",
            "A breach of state secrets",
        ),
        _c(
            "NEG-7",
            _N,
            "Cháy, nổ nghiêm trọng; tai nạn lao động chết người; sự cố hoặc vi phạm môi "
            "trường, an toàn vệ sinh thực phẩm gây hậu quả nghiêm trọng",
            "A serious fire or explosion, a fatal work accident, or a serious environmental or "
            "food-safety violation",
            exemptions=_FM,
        ),
        _c(
            "NEG-8",
            _N,
            "Cán bộ, người lao động bị xử phạt vi phạm hành chính trong lĩnh vực ANTT "
            "hoặc mắc tệ nạn xã hội bị kỷ luật từ cảnh cáo trở lên",
            "Staff fined in the ANTT field, or disciplined (warning or above) for a social evil",
        ),
        *extra_neg,
        _c(
            "FORCE-1",
            _F,
            'Lực lượng bảo vệ đạt danh hiệu "Tập thể lao động tiên tiến" hoặc '
            '"Hoàn thành tốt nhiệm vụ" trở lên, không có cá nhân bị kỷ luật từ cảnh cáo trở lên',
            "The security force rated 'advanced collective' or 'completed its duties well', "
            "nobody disciplined",
        ),
        _c(
            "PCT-1",
            _T,
            'Từ 70% trở lên số đầu mối trực thuộc đạt danh hiệu "Tập thể lao động tiên '
            'tiến" hoặc "Hoàn thành tốt nhiệm vụ" trở lên',
            "At least 70% of the sub-units rated 'advanced' or 'completed their duties well'",
            threshold_pct=70,
            allow_zero=True,  # a unit without sub-units meets it vacuously
            counts_vi="đầu mối trực thuộc đạt / tổng số đầu mối trực thuộc",
            counts_en="sub-units so rated / sub-units",
        ),
    )


CQ_DN_CRITERIA = _agency_criteria(
    "100% cán bộ, người lao động được phổ biến, quán triệt nội quy, quy định và tiêu chí "
    '"An toàn về an ninh, trật tự"',
    "Every member of staff briefed on the rules and criteria",
)

CSGD_CRITERIA = _agency_criteria(
    "100% cán bộ, giáo viên, nhân viên, người học được phổ biến, quán triệt nội quy, quy định và "
    'tiêu chí "An toàn về an ninh, trật tự"',
    "Every member of staff, teacher and learner briefed on the rules and criteria",
    extra_neg=(
        _c("NEG-9", _N, "Bạo lực học đường", "School violence"),
        _c(
            "NEG-10",
            _N,
            "Cán bộ, giáo viên, nhân viên, người học phạm tội hoặc mắc tệ nạn xã hội "
            "bị xử lý kỷ luật",
            "Staff, a teacher or a learner committed a crime or was disciplined for a social evil",
        ),
    ),
)

NATIONAL_CRITERIA: dict[SubjectType, tuple[Criterion, ...]] = {
    SubjectType.KDC: KDC_CRITERIA,
    SubjectType.XA: XA_CRITERIA,
    SubjectType.CQ: CQ_DN_CRITERIA,
    SubjectType.DN: CQ_DN_CRITERIA,
    SubjectType.CSGD: CSGD_CRITERIA,
}


def checklist(subject_type: SubjectType | str) -> tuple[Criterion, ...]:
    """The national default checklist of a subject type."""
    return NATIONAL_CRITERIA[SubjectType(subject_type)]
