"""The SPGL vocabulary and how the hall's words map onto it (docs/exchange.md).

BLZT is the status of a matter instance in SPGL_XMSPSXBLXXXXB. Every move of a project matter here is
written as one or more ``MatterEvent`` rows in these terms (``events_for_move``): the status history the
exchange sends to the city, and the one it receives from it."""

from __future__ import annotations

from django.db import models

# 江北区's administrative division code (XZQHDM)
DISTRICT_CODE = "500105"


class Blzt(models.IntegerChoices):
    RECEIVED = 1, "已接件"
    CANCELLED = 2, "已撤件"
    WINDOW_ACCEPTED = 3, "窗口受理"
    NOT_ACCEPTED = 4, "不受理"
    REFUSED_ACCEPTANCE = 5, "不予受理"
    SUPPLEMENT_START = 6, "补正开始"
    SUPPLEMENT_END = 7, "补正结束"
    UNIT_ACCEPTED = 8, "部门受理"
    SPECIAL_START = 9, "特别程序开始"
    SPECIAL_END = 10, "特别程序结束"
    PASSED = 11, "办结（通过）"
    PASSED_DEFICIENT = 12, "办结（容缺通过）"
    FAILED = 13, "办结（不通过）"
    WITHDRAWN = 14, "撤回"
    REVOKED = 15, "撤销"
    CANCEL_PENDING = 16, "撤件待确认"


# the clock stops between these pairs
PAUSE_PAIRS = {Blzt.SUPPLEMENT_START: Blzt.SUPPLEMENT_END, Blzt.SPECIAL_START: Blzt.SPECIAL_END}


class Stage(models.IntegerChoices):
    """SPJDXH, the approval stage (``STAGE_OF`` maps the hall's six stages onto the five)."""

    LAND_PLANNING = 1, "立项用地规划许可"
    CONSTRUCTION_PERMIT_PLANNING = 2, "工程建设许可"
    CONSTRUCTION_PERMIT = 3, "施工许可"
    COMPLETION = 4, "竣工验收"
    PARALLEL = 5, "并行推进"


# the hall's stage number → SPJDXH. 市政公用服务 (5: water, power, gas and telecom connections) runs beside the
# statutory stages, which is what SPGL calls 并行推进; 不动产登记 (6) has no stage of its own in SPGL and follows
# 竣工验收, under which it is reported.
STAGE_OF = {
    1: Stage.LAND_PLANNING,
    2: Stage.CONSTRUCTION_PERMIT_PLANNING,
    3: Stage.CONSTRUCTION_PERMIT,
    4: Stage.COMPLETION,
    5: Stage.PARALLEL,
    6: Stage.COMPLETION,
}


def spgl_stage(stage_number: int) -> Stage:
    return STAGE_OF.get(stage_number, Stage.PARALLEL)


def events_for_move(before: str, after: str, result: str = "") -> list[Blzt]:
    """The BLZT rows one move of a project matter makes (``ProjectMatter.Status`` values)."""
    from projects.models import ProjectMatter

    status = ProjectMatter.Status
    events: list[Blzt] = []
    if before == status.SUPPLEMENT and after != status.SUPPLEMENT:
        events.append(Blzt.SUPPLEMENT_END)
    if after == status.ACCEPTED:
        events.append(Blzt.WINDOW_ACCEPTED)
    elif after == status.SUPPLEMENT:
        events.append(Blzt.SUPPLEMENT_START)
    elif after == status.DONE:
        results = ProjectMatter.Result
        events.append(
            {results.PASSED: Blzt.PASSED, results.PASSED_DEFICIENT: Blzt.PASSED_DEFICIENT}.get(result, Blzt.FAILED)
        )
    elif after == status.REFUSED:
        # 不予办理 after acceptance: SPGL has no refusal once accepted but 办结（不通过）
        events.append(Blzt.FAILED)
    elif after == status.WITHDRAWN:
        events.append(Blzt.WITHDRAWN)
    elif after == status.REVOKED:
        events.append(Blzt.REVOKED)
    return events
