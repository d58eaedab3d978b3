"""Demo data for duplicates and carried-forward consultations (called by seed_demo after projects.demo):

- a duplicate pair to merge: 礼嘉智慧公园配套商业 opened twice by demo_specialist (same builder, same
  credit code and phone), each with a visit;
- an already merged pair: 鱼嘴物流园冷链仓库（重复登记） merged into 鱼嘴物流园冷链仓库 (a letter and a
  feedback on the merged one, shown on the kept one);
- two 待答复 consultations of demo_specialist: one without a project (to answer, then 转为项目档案), one on
  the kept dossier above.

Re-running does nothing once the pair exists."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from projects import merging, services
from projects.models import Consultation, Matter, Project
from qinqing.models import User

PAIR = "礼嘉智慧公园配套商业"
KEPT = "鱼嘴物流园冷链仓库"


def _credit(prefix17: str) -> str:
    from qinqing.validators import credit_code_check_char

    return prefix17 + credit_code_check_char(prefix17)


def _open(actor: User, *, name: str, credit: str, phone: str, builder: str, days: int, confirmed=()) -> Project:
    visited = timezone.now() - timedelta(days=days, hours=2)
    consultation = services.consultation_log(
        actor=actor,
        request=None,
        project=None,
        new_project={
            "name": name,
            "code": "",
            "builder": builder,
            "builder_credit_code": credit,
            "contact_name": "何静",
            "contact_phone": phone,
            "investment_type": "社会投资",
        },
        confirmed_distinct_from=list(confirmed),
        visited_at=visited,
        kind="咨询",
        visitor_name="何静",
        visitor_phone=phone,
        visitor_company=builder,
        question="商业综合体的规划许可和施工许可怎么衔接？",
        answer="已讲解工程建设许可阶段的事项和并联审批。",
        outcome="当场解答",
    )
    return consultation.project


def seed(stdout) -> None:
    if Project.objects.filter(name=PAIR).exists():
        stdout.write("查重与合并：演示数据已存在，未重复创建")
        return
    li = User.objects.get(username="demo_specialist")
    now = timezone.now()

    # 1. a duplicate pair still to merge (the second opened past the warning, "确认不是同一项目")
    credit = _credit("91500112MA60L8K2X")
    builder = "重庆礼嘉商业管理有限公司"
    first = _open(li, name=PAIR, credit=credit, phone="13512340001", builder=builder, days=20)
    _open(li, name=PAIR + "项目", credit=credit, phone="135 1234 0001", builder=builder, days=6, confirmed=[first])

    # 2. an already merged pair: the duplicate had a letter and a feedback, now shown on the kept one
    kept = _open(
        li,
        name=KEPT,
        credit=_credit("91500115MA5YQ3M7L"),
        phone="13600450002",
        builder="重庆鱼嘴冷链物流有限公司",
        days=30,
    )
    duplicate = _open(
        li,
        name=KEPT + "（重复登记）",
        credit=_credit("91500115MA5YQ3M7L"),
        phone="13600450002",
        builder="重庆鱼嘴冷链物流有限公司",
        days=12,
        confirmed=[kept],
    )
    services.feedback_record(
        actor=li,
        request=None,
        project_id=duplicate.pk,
        told_at=now - timedelta(days=11),
        method="电话",
        content="已电话告知冷库消防设计审查的材料要求。",
    )
    matter = Matter.objects.filter(is_active=True, name="建设工程消防设计审查").first()
    if matter is not None:
        try:
            services.letter_issue(
                actor=li,
                request=None,
                project_id=duplicate.pk,
                matters=[matter],
                guide_told=[matter],
                recipient="何静",
            )
        except Exception as error:  # noqa: BLE001 - the letter's rules belong to the lead's part; the demo goes on
            stdout.write(f"查重与合并：演示告知单未出具（{error}）")
    kept.refresh_from_db()
    duplicate.refresh_from_db()
    merging.project_merge(
        actor=li,
        request=None,
        winner_id=kept.pk,
        loser_id=duplicate.pk,
        winner_version=kept.version,
        loser_version=duplicate.version,
        reason="同一项目两次来访分别登记，合并为一个档案",
    )

    # 3. two consultations waiting for an answer
    Consultation.objects.create(
        visited_at=now - timedelta(days=4, hours=1),
        kind=Consultation.Kind.CONSULTATION,
        visitor_name="钟先生",
        visitor_phone="13883120003",
        visitor_company="重庆悦来文旅发展有限公司",
        question="悦来温泉酒店改扩建能否适用告知承诺制办理施工许可？需向区住房城乡建委确认。",
        outcome=Consultation.Outcome.PENDING,
        recorded_by=li,
    )
    Consultation.objects.create(
        project=kept,
        visited_at=now - timedelta(days=1, hours=3),
        kind=Consultation.Kind.CONSULTATION,
        visitor_name="何静",
        visitor_phone="13600450002",
        visitor_company="重庆鱼嘴冷链物流有限公司",
        question="冷库的消防设计审查能否与施工图审查并联？",
        outcome=Consultation.Outcome.PENDING,
        recorded_by=li,
    )
    stdout.write("查重与合并：相似档案 1 对待合并，已合并档案 1 个，待答复咨询 2 条")
