"""The weekly summary counts 容缺受理, 告知承诺, the results of 办结 and 逾期办结 (issue 16)."""

from __future__ import annotations

from datetime import date

from ledger.summary import Period, build_summary
from projects import conditions, services
from projects.models import ProjectMatter
from tests.factories import MatterFactory, ProjectMatterFactory

S, R = ProjectMatter.Status, ProjectMatter.Result


def move(pm, to, on, **extra):
    pm.refresh_from_db()
    return services.matter_move(
        actor=pm.project.specialist, request=None, project_matter_id=pm.pk, version=pm.version, to_status=to, on=on,
        **extra,
    )  # fmt: skip


def test_the_summary_counts_results_late_finishes_deficiencies_and_commitments(db):
    matter = MatterFactory(time_limit_workdays=3, allows_deficiency=True, allows_commitment=True)
    late = ProjectMatterFactory(matter=matter)
    move(late, S.ACCEPTED, date(2026, 11, 2))  # due 11-05
    move(late, S.DONE, date(2026, 11, 10), result=R.PASSED)
    deficient = ProjectMatterFactory(matter=matter)
    move(deficient, S.ACCEPTED, date(2026, 11, 9), mode="容缺受理", missing=[(None, "施工图"), (None, "合同")],
         supply_workdays=2)  # fmt: skip
    move(deficient, S.DONE, date(2026, 11, 11), result=R.PASSED_DEFICIENT)
    item = deficient.missing_materials.order_by("id").first()
    # supplied after the period: still missing at its end
    conditions.missing_supply(
        actor=late.project.specialist, request=None, item_id=item.pk, version=0, on=date(2026, 11, 20)
    )
    failed = ProjectMatterFactory(matter=matter)
    move(failed, S.ACCEPTED, date(2026, 11, 9))
    move(failed, S.DONE, date(2026, 11, 10), result=R.FAILED, reason="不符合条件")
    committed = ProjectMatterFactory(matter=matter)
    move(committed, S.ACCEPTED, date(2026, 11, 9), mode="承诺办理",
         commitment=conditions.CommitmentTerms(content="承诺补交", verify_by=date(2026, 11, 11)))  # fmt: skip

    summary = build_summary(Period.of(date(2026, 11, 9), date(2026, 11, 15)))
    rows = dict(summary.table("conditions").rows)
    assert rows["本期办结（通过）"] == 1
    assert rows["本期办结（容缺通过）"] == 1
    assert rows["本期办结（不通过）"] == 1
    assert rows["其中逾期办结"] == 1
    assert rows["本期容缺受理"] == 1
    assert rows["本期登记容缺材料"] == 2
    assert rows["本期补齐容缺材料"] == 0
    assert rows["期末待补齐容缺材料"] == 2
    assert rows["其中逾期未补齐"] == 2
    assert rows["本期告知承诺受理"] == 1
    assert rows["期末待核查告知承诺"] == 1
    assert rows["其中逾期未核查"] == 1
    figures = dict(summary.figures)
    assert figures["逾期办结事项"] == 1
    assert figures["办结（不通过）"] == 1
