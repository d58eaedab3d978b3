"""Demo data of the windows part: the six comprehensive windows with their lead units and staff,
hand-offs (accepted, waiting, late, returned), reports to pass on, problems (open, overdue, solved,
unsolvable), a joint meeting held with issued minutes whose decisions are done, open and overdue, and a
meeting convened for next week."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from projects.demo import WINDOWS
from projects.models import Project, Stage
from qinqing.models import Department, User
from windows import services
from windows.models import Handoff, Meeting, Problem


def seed(stdout) -> None:
    admin = User.objects.get(username="demo_admin")
    for number, (name, phone, lead, staff) in WINDOWS.items():
        stage = Stage.objects.get(number=number)
        if stage.window_staff.exists():
            continue
        services.window_update(
            actor=admin,
            request=None,
            stage_id=stage.pk,
            version=stage.version,
            window_name=name,
            window_phone=phone,
            lead_unit=Department.objects.get(name=lead),
            staff=list(User.objects.filter(username__in=staff)),
        )
    stdout.write("阶段窗口：6 个综合窗口及其牵头单位、窗口人员")
    if Handoff.objects.exists() or not Project.objects.filter(name="江北嘴金融城3号地块商业综合体").exists():
        stdout.write("首问移交：已有演示数据，未重复创建")
        return
    window, sun = User.objects.get(username="demo_window"), User.objects.get(username="sun_window")
    p = {project.name: project for project in Project.objects.select_related("specialist")}
    mall, old, resettle = (
        p["江北嘴金融城3号地块商业综合体"],
        p["观音桥街道老旧小区改造（二期）"],
        p["寸滩国际新城安置房项目"],
    )
    cold, road = p["两路寸滩保税港区冷链物流中心"], p["五里店片区道路提升工程"]
    stage = {s.number: s for s in Stage.objects.all()}
    today = timezone.localdate()

    # accepted hand-offs with reports, one waiting and one late
    h_mall = services.handoff_create(
        actor=mall.specialist,
        request=None,
        project_id=mall.pk,
        stage=stage[3],
        note="重点项目，施工许可阶段四个事项并联推进；消防设计审查已超期，请窗口重点跟进。",
    )
    services.handoff_accept(actor=window, request=None, handoff_id=h_mall.pk, version=h_mall.version)
    services.report_create(
        actor=window,
        request=None,
        handoff_id=h_mall.pk,
        content="已与区住房城乡建委对接，消防设计审查预计本周五前出具意见；人防审批待申请人补正计算书。",
    )
    h_resettle = services.handoff_create(
        actor=resettle.specialist,
        request=None,
        project_id=resettle.pk,
        stage=stage[4],
        note="安置房项目进入竣工验收，请组织联合验收。",
    )
    services.handoff_accept(actor=window, request=None, handoff_id=h_resettle.pk, version=h_resettle.version)
    services.handoff_create(
        actor=old.specialist,
        request=None,
        project_id=old.pk,
        stage=stage[2],
        note="老旧小区改造初步设计审批临近到期，请窗口协调。",
    )
    late = services.handoff_create(
        actor=cold.specialist,
        request=None,
        project_id=cold.pk,
        stage=stage[5],
        note="冷链物流中心供水、排水接入，请市政公用服务窗口跟进。",
    )
    Handoff.objects.filter(pk=late.pk).update(
        handed_at=timezone.now() - timedelta(days=4), accept_by=today - timedelta(days=2)
    )

    # problems: open and overdue, coordinating, solved, unsolvable
    fire = mall.matters.get(matter__name="建设工程消防设计审查")
    p_fire = services.problem_raise(
        actor=window,
        request=None,
        project_id=mall.pk,
        project_matter=fire,
        stage=stage[3],
        description="消防设计审查超期，审查意见与施工图审查意见不一致，需两部门会商统一。",
        owner_unit=fire.unit,
        due_on=today,
    )
    services.problem_raise(
        actor=old.specialist,
        request=None,
        project_id=old.pk,
        project_matter=None,
        stage=stage[2],
        description="小区内既有管线产权不清，绿化设计方案需管线单位确认。",
        owner_unit=Department.objects.get(name="区城市管理局"),
        due_on=today + timedelta(days=7),
    )
    p_road = services.problem_raise(
        actor=road.specialist,
        request=None,
        project_id=road.pk,
        project_matter=None,
        stage=stage[1],
        description="道路红线与既有规划控制线冲突，用地预审需规划部门先行调整。",
        owner_unit=Department.objects.get(name="市规划自然资源局江北区分局"),
        due_on=today + timedelta(days=3),
    )
    services.problem_update(
        actor=sun,
        request=None,
        problem_id=p_road.pk,
        version=p_road.version,
        status="已解决",
        resolution="规划部门已出具调整意见，用地预审按调整后红线受理。",
    )
    spa = p["铁山坪森林康养中心"]
    p_spa = services.problem_raise(
        actor=spa.specialist,
        request=None,
        project_id=spa.pk,
        project_matter=None,
        stage=stage[1],
        description="选址涉及生态保护红线，能否调整选址需论证。",
        owner_unit=Department.objects.get(name="市规划自然资源局江北区分局"),
        due_on=today + timedelta(days=5),
    )
    services.problem_update(
        actor=sun,
        request=None,
        problem_id=p_spa.pk,
        version=p_spa.version,
        status="无法解决",
        resolution="选址位于生态保护红线内，依法不能调整，项目需另行选址。",
    )

    # a joint meeting on the fire-review blockage, held yesterday: minutes with attendance, issued, and
    # its decisions done, open and overdue
    builder, review, civil = (
        Department.objects.get(name="区住房城乡建委"),
        Department.objects.get(name="施工图审查机构"),
        Department.objects.get(name="区人防办"),
    )
    meeting = services.meeting_convene(
        actor=window,
        request=None,
        convened_by=builder,
        stage=stage[3],
        held_on=today - timedelta(days=6),
        starts_at=time(9, 30),
        place="区政务服务中心三楼第一会议室",
        chair="区住房城乡建委 陈副主任",
        topic="江北嘴金融城3号地块消防设计审查会商",
        agenda="一、消防设计审查意见与施工图审查意见不一致的处理；二、人防面积计算书补正。",
        units=[builder, review, civil],
        projects=[mall],
        problems=[p_fire],
    )
    meeting = services.minutes_record(
        actor=window,
        request=None,
        meeting_id=meeting.pk,
        version=meeting.version,
        chair="区住房城乡建委 陈副主任",
        recorder=window.name,
        minutes="会议听取了项目消防设计审查进展情况汇报。经研究，施工图审查机构与区住房城乡建委按统一标准复核审查意见，"
        "区人防办同步指导申请人补正人防面积计算书。",
        attendance=[
            {"unit": builder, "present": True, "attendee": "陈副主任、消防审查科 刘科长"},
            {"unit": review, "present": True, "attendee": "总工程师 黄工"},
            {"unit": civil, "present": False, "attendee": ""},
        ],
        decisions=[
            {
                "content": "统一消防与施工图审查意见，出具消防设计审查意见",
                "unit": builder,
                "due_on": today + timedelta(days=3),
                "project": mall,
            },
            {
                "content": "复核施工图审查意见并书面反馈",
                "unit": review,
                "due_on": today - timedelta(days=1),  # three working days after the meeting, not done: 逾期
                "project": mall,
            },
            {
                "content": "指导申请人补正人防面积计算书",
                "unit": civil,
                "due_on": today + timedelta(days=2),
                "project": mall,
            },
        ],
    )
    meeting = services.minutes_issue(actor=window, request=None, meeting_id=meeting.pk, version=meeting.version)
    done = meeting.decisions.get(unit__name="区人防办")
    services.decision_update(
        actor=window,
        request=None,
        decision_id=done.pk,
        version=done.version,
        status="已落实",
        outcome="已当面指导申请人，补正材料预计下周提交。",
    )

    # a meeting convened for next week: the invited units (demo_dept's among them) see it in their to-do
    services.meeting_convene(
        actor=window,
        request=None,
        convened_by=builder,
        stage=stage[3],
        held_on=today + timedelta(days=5),
        starts_at=time(14, 30),
        place="区政务服务中心三楼第二会议室",
        chair="区住房城乡建委 陈副主任",
        topic="施工许可阶段并联审批推进会",
        agenda="一、江北嘴金融城3号地块施工许可并联办理进度；二、人防审批补正材料的衔接。",
        units=[builder, review, civil],
        projects=[mall],
    )

    # a meeting held this morning whose minutes the window has still to record (its to-do says so)
    services.meeting_convene(
        actor=window,
        request=None,
        convened_by=builder,
        stage=stage[3],
        held_on=today,
        starts_at=time(9, 0),
        place="区政务服务中心三楼第一会议室",
        chair="区住房城乡建委 陈副主任",
        topic="江北嘴金融城3号地块人防审批协调会",
        agenda="人防面积计算书补正后的审批衔接。",
        units=[builder, civil],
        projects=[mall],
    )

    # a hand-off the window returned: the stage has no matter yet the window can follow
    h_returned = services.handoff_create(
        actor=road.specialist,
        request=None,
        project_id=road.pk,
        stage=road.current_stage or stage[1],
        note="道路提升工程请窗口跟进用地预审。",
    )
    services.handoff_return(
        actor=sun,
        request=None,
        handoff_id=h_returned.pk,
        version=h_returned.version,
        reason="用地预审尚未申报，请帮办专员先协助申请人申报后再移交。",
    )

    # Spread the work over last week too, so that last week's summary (the office's default) shows it:
    # demo-only back-dating of the times the services stamped "now".
    monday = today - timedelta(days=today.weekday() + 7)
    zone = timezone.get_current_timezone()

    def at(day_offset: int, hour: int) -> datetime:
        return datetime.combine(monday + timedelta(days=day_offset), time(hour), tzinfo=zone)

    Handoff.objects.filter(pk=h_mall.pk).update(
        handed_at=at(0, 10), accept_by=monday + timedelta(days=1), accepted_at=at(1, 9)
    )
    Handoff.objects.filter(pk=h_resettle.pk).update(
        handed_at=at(2, 15), accept_by=monday + timedelta(days=3), accepted_at=at(4, 11)
    )
    Problem.objects.filter(pk=p_fire.pk).update(raised_at=at(1, 11))
    Problem.objects.filter(pk=p_road.pk).update(raised_at=at(0, 14), closed_at=at(3, 16))
    Problem.objects.filter(pk=p_spa.pk).update(raised_at=at(1, 9), closed_at=at(4, 10))
    stdout.write(
        f"首问移交 5 个（含超时未接收、已退回），难点堵点 4 个，联席会议 {Meeting.objects.count()} 次（已签发纪要、待召开各一）"
    )
