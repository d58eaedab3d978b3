"""Demo data for supervision: a draw of last month's projects, visits good, bad and unreachable, one
still planned; rectifications in every state the office meets: one closed after the callback and the
closing check, one overdue, one waiting for the callback, and the escalation's one sent back to the
unit; an inspection, a notice issued from it and an escalation."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from followups import services
from followups.models import Draw, Rectification
from projects.models import ProjectMatter
from qinqing.models import Department, User


def seed(stdout) -> None:
    if Draw.objects.exists():
        stdout.write("督查回访：已有演示数据，未重复创建")
        return
    office = User.objects.get(username="demo_office")
    dept = User.objects.get(username="demo_dept")
    today = timezone.localdate()
    now = timezone.now()
    draw = services.draw_create(
        actor=office,
        request=None,
        period_start=today - timedelta(days=45),
        period_end=today - timedelta(days=1),
        share_percent=60,
        seed="2026demo",
        note="演示：上月服务项目按 60% 随机回访",
    )
    visits = list(draw.visits.select_related("project").order_by("id"))

    def unit_of(visit) -> Department:
        pm = ProjectMatter.objects.filter(project=visit.project).select_related("unit").order_by("id").first()
        return pm.unit if pm else dept.department

    good, bad, problem, waiting, unreachable = (visits + [None] * 5)[:5]
    if good:
        services.visit_record(actor=office, request=None, visit_id=good.pk, version=good.version, status="已回访",
                              method="电话", respondent=good.project.contact_name, visited_at=now - timedelta(days=3),
                              overall="非常满意", efficiency="满意", competence="非常满意", attitude="非常满意",
                              comments="专员全程跟进，一次告知很清楚。")  # fmt: skip
    if bad:
        unit = dept.department
        services.visit_record(actor=office, request=None, visit_id=bad.pk, version=bad.version, status="已回访",
                              method="上门", respondent=bad.project.contact_name, visited_at=now - timedelta(days=2),
                              overall="不满意", efficiency="非常不满意", competence="基本满意", attitude="满意",
                              comments="审查意见反复，前后要求不一致，耽误两周。", unit=unit, owner="张审批")  # fmt: skip
    if problem:
        unit = unit_of(problem)
        services.visit_record(actor=office, request=None, visit_id=problem.pk, version=problem.version,
                              status="已回访", method="电话", respondent=problem.project.contact_name,
                              visited_at=now - timedelta(days=8), overall="基本满意", efficiency="基本满意",
                              competence="满意", attitude="满意", problems_found="窗口告知的材料清单与网上办事指南不一致。",
                              unit=unit, owner="窗口负责人")  # fmt: skip
        rectification = Rectification.objects.get(visit=problem)
        # demo-only back-dating: opened three weeks ago, so it is now past its deadline
        Rectification.objects.filter(pk=rectification.pk).update(
            opened_on=today - timedelta(days=25), due_on=today - timedelta(days=4)
        )
    if waiting:
        services.visit_record(actor=office, request=None, visit_id=waiting.pk, version=waiting.version,
                              status="已回访", method="电话", respondent=waiting.project.contact_name,
                              visited_at=now - timedelta(days=5), overall="不满意", efficiency="不满意",
                              competence="基本满意", attitude="不满意", comments="窗口电话长期无人接听。",
                              unit=dept.department, owner="李窗口")  # fmt: skip
        # the unit has reported its measures: waiting for the office's callback to the applicant
        pending = Rectification.objects.get(visit=waiting)
        services.rectification_report(actor=dept, request=None, rectification_id=pending.pk, version=pending.version,
                                      measures="已公布窗口值班电话，安排专人接听并回拨未接来电。",
                                      rectified_on=today)  # fmt: skip
    if unreachable:
        services.visit_record(actor=office, request=None, visit_id=unreachable.pk, version=unreachable.version,
                              status="无法联系", method="电话", respondent="", visited_at=now - timedelta(days=1))  # fmt: skip
    # the bad rating's rectification: the unit reports its measures, the office calls back and closes it
    if bad:
        first = Rectification.objects.get(visit=bad)
        first = services.rectification_report(actor=dept, request=None, rectification_id=first.pk, version=first.version,
                                              measures="已统一审查尺度，指定专人对接申请人，出具一次性补正意见。",
                                              rectified_on=today)  # fmt: skip
        services.rectification_close(actor=office, request=None, rectification_id=first.pk, version=first.version,
                                     callback=f"电话回访{bad.project.contact_name}，已收到一次性补正意见，认可整改。",
                                     callback_on=today, callback_rating="满意",
                                     closing_check="整改措施已落实，申请人满意，同意办结。")  # fmt: skip
    inspection = services.inspection_record(
        actor=office,
        request=None,
        inspected_on=today - timedelta(days=6),
        subject="窗口服务作风与事项办理时效专项检查",
        units=[dept.department, *Department.objects.filter(name="区城市管理局")],
        findings=f"{dept.department.name}两个事项超过承诺时限，且未按规定向申请人说明原因；其余单位未发现问题。",
        result="通报批评",
    )
    with transaction.atomic():
        notice = services.notice_draft(
            actor=office,
            request=None,
            unit=dept.department,
            title=f"关于{dept.department.name}审批事项超期办理情况的通报",
            facts=inspection.findings,
            requirement="请于 15 个工作日内完成整改，并将整改情况书面报区工改办。",
            period_start=today - timedelta(days=45),
            period_end=today - timedelta(days=1),
            source="定期检查",
            inspection=inspection,
        )
    notice = services.notice_issue(actor=office, request=None, notice_id=notice.pk, version=notice.version)
    escalation = services.escalation_create(
        actor=office,
        request=None,
        unit=dept.department,
        reason="回访差评且定期检查发现超期，经通报后仍需督促整改，移送区督查办督办。",
        referred_on=today,
        owner="张审批",
        notices=[notice],
        visits=[bad] if bad else [],
    )
    # the escalation's rectification: the unit reports, the office finds it not enough and sends it back
    sent_back = escalation.rectification
    sent_back = services.rectification_report(actor=dept, request=None, rectification_id=sent_back.pk,
                                              version=sent_back.version, measures="已组织窗口人员学习服务规范。",
                                              rectified_on=today)  # fmt: skip
    services.rectification_return(actor=office, request=None, rectification_id=sent_back.pk, version=sent_back.version,
                                  reason="措施只有学习，没有针对超期事项逐件说明原因和办结时间，请补充后重新填报。")  # fmt: skip
    states = Counter(Rectification.objects.values_list("status", flat=True))
    stdout.write(
        f"督查回访：抽样 1 次（{len(draw.population)} 个项目中抽取 {len(draw.sample)} 个），"
        f"整改 {sum(states.values())} 件（已办结 {states[Rectification.Status.CLOSED]}、"
        f"待回访核实 {states[Rectification.Status.RECTIFIED]}、整改中 {states[Rectification.Status.OPEN]}，"
        f"其中逾期 {Rectification.objects.overdue(today).count()}、退回重新整改 1），"
        f"定期检查 1 次，通报 {notice.number}，督查督办 1 件"
    )
