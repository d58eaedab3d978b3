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
from followups.selectors import overdue_matters_of
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
    clear_units = list(
        Department.objects.filter(name__in=["区城市管理局", "区规划自然资源局"]).exclude(pk=dept.department.pk)
    )
    problem_text = f"{dept.department.name}两个事项超过承诺时限，且未按规定向申请人说明原因。"
    inspection = services.inspection_record(
        actor=office,
        request=None,
        inspected_on=today - timedelta(days=6),
        subject="窗口服务作风与事项办理时效专项检查",
        results=[(dept.department, "发现问题", problem_text)] + [(unit, "无问题", "") for unit in clear_units],
        findings=f"共检查 {1 + len(clear_units)} 个单位的窗口服务和事项办理时效；"
        f"{dept.department.name}发现问题，其余单位未发现问题。",
        result="通报批评",
    )
    with transaction.atomic():
        notice = services.notice_draft(
            actor=office,
            request=None,
            unit=dept.department,
            title=f"关于{dept.department.name}在窗口服务作风与事项办理时效专项检查中发现问题的通报",
            facts=f"{today - timedelta(days=6):%Y年%m月%d日}，区工改办开展窗口服务作风与事项办理时效专项检查，"
            f"发现{problem_text}",
            requirement="请于 15 个工作日内完成整改，并将整改情况书面报区工改办。\n各成员单位要引以为戒，举一反三。",
            period_start=today - timedelta(days=45),
            period_end=today - timedelta(days=1),
            source="定期检查",
            inspection=inspection,
            copy_to="区政府督查室、区政务服务管理办公室",
        )
    notice = services.notice_issue(actor=office, request=None, notice_id=notice.pk, version=notice.version)
    # a notice of overdue matters: the matters go into its attached 逾期事项清单, not into the prose
    start, end = today - timedelta(days=90), today
    late = list(overdue_matters_of(dept.department, start, end)[:40])
    if late:
        with transaction.atomic():
            listed = services.notice_draft(
                actor=office,
                request=None,
                unit=dept.department,
                title=f"关于{dept.department.name}审批事项逾期办理情况的通报",
                facts=f"经查，{start:%Y年%m月%d日}至{end:%Y年%m月%d日}期间，{dept.department.name}承办的"
                f"{len(late)}个审批事项未在承诺时限内办结，逐项情况见附件逾期事项清单。",
                requirement=f"请{dept.department.name}逐项说明超期原因和办结时间，15 个工作日内书面报区工改办。",
                period_start=start,
                period_end=end,
                source="逾期事项",
                matters=late,
            )
        services.notice_issue(actor=office, request=None, notice_id=listed.pk, version=listed.version)
    escalation = services.escalation_create(
        actor=office,
        request=None,
        unit=dept.department,
        reason="回访差评且定期检查发现超期，经通报后仍需督促整改，移送区政府督查室督办。",
        referred_on=today - timedelta(days=3),
        owner="张审批",
        notices=[notice],
        visits=[bad] if bad else [],
    )
    # the unit signs for the 督办单 and replies; the office records 区政府督查室's opinion
    escalation = services.escalation_sign(actor=dept, request=None, escalation_id=escalation.pk,
                                          version=escalation.version)  # fmt: skip
    escalation = services.escalation_reply(actor=dept, request=None, escalation_id=escalation.pk,
                                           version=escalation.version,
                                           reply="已对两个超期事项逐件说明原因并办结，窗口实行首问负责和超期预警，"
                                           "分管领导每周调度。")  # fmt: skip
    services.escalation_opinion(actor=office, request=None, escalation_id=escalation.pk, version=escalation.version,
                                opinion="回复基本可行；请补充超期事项的责任追究情况，整改结果以区工改办回访核实为准。",
                                opinion_on=today)  # fmt: skip
    # the escalation's rectification: the unit reports, the office finds it not enough and sends it back
    sent_back = escalation.rectification
    sent_back.refresh_from_db()
    sent_back = services.rectification_report(actor=dept, request=None, rectification_id=sent_back.pk,
                                              version=sent_back.version, measures="已组织窗口人员学习服务规范。",
                                              rectified_on=today)  # fmt: skip
    services.rectification_return(actor=office, request=None, rectification_id=sent_back.pk, version=sent_back.version,
                                  reason="措施只有学习，没有针对超期事项逐件说明原因和办结时间，请补充后重新填报。")  # fmt: skip
    # a second 督办单, just issued: waiting for the unit to sign for it (on demo_dept's to-do list)
    waiting_sign = services.escalation_create(
        actor=office,
        request=None,
        unit=dept.department,
        reason="窗口电话长期无人接听，回访差评后整改不到位，移送区政府督查室督办。",
        referred_on=today,
        owner="李窗口",
        notices=[notice],
        visits=[waiting] if waiting else [],
    )
    states = Counter(Rectification.objects.values_list("status", flat=True))
    stdout.write(
        f"督查回访：抽样 1 次（{len(draw.population)} 个项目中抽取 {len(draw.sample)} 个），"
        f"整改 {sum(states.values())} 件（已办结 {states[Rectification.Status.CLOSED]}、"
        f"待回访核实 {states[Rectification.Status.RECTIFIED]}、整改中 {states[Rectification.Status.OPEN]}，"
        f"其中逾期 {Rectification.objects.overdue(today).count()}、退回重新整改 1），"
        f"定期检查 1 次（{1 + len(clear_units)} 个单位，{len(clear_units)} 个无问题），通报 {notice.number} 等，"
        f"督办单 {escalation.number}（已签收、回复）、{waiting_sign.number}（待签收）"
    )
