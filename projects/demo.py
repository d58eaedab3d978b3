"""Demo data of the dossier part: the catalogue, and projects at every stage with consultations,
letters, matters (on time, near due, overdue, paused, refused), and feedback to applicants.

Dates are relative to today, so overdue and warning states are always there to see."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from projects import conditions, services
from projects.catalogue import load_catalogue
from projects.lookup import seed_demo as seed_lookups
from projects.models import Matter, Project, ProjectMatter, Stage
from projects.notify import seed_sms
from qinqing.models import Department, User
from qinqing.validators import credit_code_check_char
from qinqing.workdays import WorkCalendar

S = ProjectMatter.Status
# the look-up page's address as `make run` serves it (the QR code on the demo letters points there)
LOOKUP_BASE = "http://127.0.0.1:8000/progress/"


def _credit(prefix17: str) -> str:
    return prefix17 + credit_code_check_char(prefix17)


class _Clock:
    """Working days before today, for realistic dates."""

    def __init__(self) -> None:
        self.calendar = WorkCalendar()
        self.today = timezone.localdate()

    def ago(self, workdays: int) -> date:
        day, counted = self.today, 0
        while counted < workdays:
            day -= timedelta(days=1)
            if self.calendar.is_workday(day):
                counted += 1
        return day

    def at(self, day: date, hour: int = 10) -> datetime:
        return timezone.make_aware(datetime.combine(day, time(hour, 15)))


# name, code, builder, credit prefix, contact, phone, type, nature, category, land, floor, investment, key, site
PROJECTS = [
    (
        "江北嘴金融城3号地块商业综合体",
        "2601-500105-04-01-38271X",
        "重庆江嘴置业有限公司",
        "91500105MA61XK3T2",
        "陈建国",
        "13983012345",
        "社会投资",
        "新建",
        "房屋建筑",
        32500,
        186000,
        258000,
        True,
        "江北嘴金融城3号地块",
    ),
    (
        "观音桥街道老旧小区改造（二期）",
        "2602-500105-48-01-10452A",
        "重庆市江北区观音桥街道办事处",
        "11500105MB15803F4",
        "刘敏",
        "13608341122",
        "政府投资",
        "改建",
        "房屋建筑",
        None,
        96000,
        8600,
        False,
        "观音桥街道建新北路片区",
    ),
    (
        "寸滩国际新城安置房项目",
        "2510-500105-47-01-22817K",
        "重庆江北城市开发建设集团有限公司",
        "91500105MA5YQ4G70",
        "王磊",
        "13708306678",
        "政府投资",
        "新建",
        "房屋建筑",
        41200,
        152000,
        76000,
        True,
        "寸滩街道港城东路",
    ),
    (
        "鱼嘴镇智能制造产业园标准厂房",
        "",
        "重庆鱼嘴智造科技有限公司",
        "91500105MAC2LN7W3",
        "黄海燕",
        "18523076543",
        "社会投资",
        "新建",
        "工业",
        68000,
        120000,
        45000,
        False,
        "鱼嘴镇工业园区B区",
    ),
    (
        "两路寸滩保税港区冷链物流中心",
        "2603-500105-59-01-77120P",
        "重庆港城冷链物流有限公司",
        "91500105MA60HRB12",
        "周涛",
        "15923011890",
        "社会投资",
        "新建",
        "其他",
        25000,
        48000,
        32000,
        False,
        "寸滩保税港区D区",
    ),
    (
        "五里店片区道路提升工程",
        "2605-500105-48-02-30618M",
        "重庆市江北区城市管理局",
        "11500105009274061",
        "吴静",
        "13310237788",
        "政府投资",
        "改建",
        "市政",
        None,
        None,
        12800,
        True,
        "五里店片区建新东路至港城路",
    ),
    (
        "江北区第二人民医院门诊楼扩建",
        "2019-500105-84-01-004512",
        "重庆市江北区第二人民医院",
        "12500105450412830",
        "郑红",
        "13996042211",
        "政府投资",
        "扩建",
        "房屋建筑",
        8600,
        23000,
        15600,
        False,
        "江北区铁山坪街道",
    ),
    (
        "铁山坪森林康养中心",
        "2604-500105-87-01-51209C",
        "重庆铁山坪文旅发展有限公司",
        "91500105MAD1F8K65",
        "何斌",
        "17784012209",
        "社会投资",
        "新建",
        "其他",
        15000,
        21000,
        18000,
        False,
        "铁山坪街道森林公园",
    ),
    (
        "大石坝片区城市更新项目",
        "2606-500105-70-01-41633H",
        "重庆大石坝城市更新投资有限公司",
        "91500105MADE23L44",
        "冯雪",
        "13527713456",
        "社会投资",
        "改建",
        "房屋建筑",
        52000,
        210000,
        186000,
        True,
        "大石坝街道",
    ),
    (
        "港城工业园区污水管网完善工程",
        "2607-500105-48-02-60187D",
        "重庆市江北区水利局",
        "11500105009275016",
        "蒋涛",
        "13883245670",
        "政府投资",
        "扩建",
        "水利",
        None,
        None,
        5400,
        False,
        "港城工业园区",
    ),
]


def _matters(names: list[str]) -> list[Matter]:
    by_name = {m.name: m for m in Matter.objects.filter(name__in=names).select_related("stage", "unit")}
    return [by_name[n] for n in names]


def _move(
    actor: User,
    project: Project,
    name: str,
    steps: list[tuple],
    mode: str | None = None,
    terms: dict | None = None,
):
    """Steps are (status, date, reason) or, for 办结, (status, date, reason, result); ``terms`` are the
    acceptance's 容缺 or 告知承诺 terms (``services.matter_move`` keywords)."""
    pm = project.matters.get(matter__name=name, status__in=[S.PENDING, *ProjectMatter.OPEN_STATUSES])
    for to_status, on, reason, *rest in steps:
        extra = dict(terms or {}) if to_status == S.ACCEPTED else {}
        if to_status == S.DONE:
            extra["result"] = rest[0] if rest else ProjectMatter.Result.PASSED
        pm = services.matter_move(
            actor=actor,
            request=None,
            project_matter_id=pm.pk,
            version=pm.version,
            to_status=to_status,
            on=on,
            reason=reason,
            mode=mode if to_status == S.ACCEPTED else None,
            **extra,
        )
    return pm


# stage number: window name, phone, lead unit, window staff (the window part assigns the staff)
WINDOWS = {
    1: ("立项用地规划许可阶段综合窗口", "023-67851101", "区发展改革委", ["sun_window"]),
    2: ("工程建设许可阶段综合窗口", "023-67851102", "市规划自然资源局江北区分局", ["demo_window"]),
    3: ("施工许可阶段综合窗口", "023-67851103", "区住房城乡建委", ["demo_window"]),
    4: ("竣工验收阶段综合窗口", "023-67851104", "区住房城乡建委", ["demo_window", "sun_window"]),
    5: ("市政公用服务综合窗口", "023-67851105", "区城市管理局", ["sun_window"]),
    6: ("不动产登记综合窗口", "023-67851106", "区不动产登记中心", ["sun_window"]),
}

# Matters whose materials the administrator has checked against the district's guides (the rest stay
# 待核实, so the demo shows both), with the corrections made while checking: material name → changes.
VERIFIED = {
    "企业投资项目备案": {},
    "建设项目用地预审与选址意见书核发": {},
    "建设用地规划许可证核发": {},
    "施工图设计文件审查": {},
    "建设工程消防设计审查": {},
    "防空地下室建设审批": {},
    "建筑工程施工许可证核发": {},
    "城镇污水排入排水管网许可": {},
    "城市建筑垃圾处置核准": {},
    "建设工程规划许可证核发": {},
    "供水接入": {},
    "排水接入": {},
}
CORRECTIONS = {
    # (matter, material number): changes an administrator made against the district's guide
    ("施工图设计文件审查", 1): {"form": "原件", "copies": "1份"},
    ("建筑工程施工许可证核发", 1): {"form": "原件", "copies": "1份", "medium": "纸质和电子"},
    ("建设工程规划许可证核发", 1): {"form": "原件", "copies": "1份"},
}


def position_has_template(matter: Matter, material) -> bool:
    return matter.name == "建筑工程施工许可证核发" and material.position == 1


def _sample_form(title: str) -> ContentFile:
    """A fillable sample form (样表) as an administrator would upload it: a one-sheet workbook."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "样表"
    sheet.append([f"{title}（样表）"])
    for label in ("项目名称", "项目代码", "建设单位", "统一社会信用代码", "联系人", "联系电话", "建设地点", "建设规模"):
        sheet.append([label, ""])
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["B"].width = 50
    buffer = io.BytesIO()
    book.save(buffer)
    return ContentFile(buffer.getvalue(), name=f"{title}（样表）.xlsx")


def _check_materials(admin: User) -> int:
    """The administrator confirms the demo matters' materials (with a few corrections), as at the counter."""
    from projects import catalogue

    count = 0
    for matter in Matter.objects.filter(name__in=VERIFIED).prefetch_related("materials"):
        for material in matter.materials.all():
            # where the reference did not say, the district's guide does (in the demo: one original)
            changes = CORRECTIONS.get((matter.name, material.position)) or (
                {"form": "原件", "copies": material.copies or "1份"} if not material.form else None
            )
            if changes and not material.verified:
                fields = {name: getattr(material, name) for name in catalogue.MATERIAL_FIELDS}
                fields.update(changes)
                catalogue.material_update(
                    actor=admin,
                    request=None,
                    material_id=material.pk,
                    version=material.version,
                    verified=True,
                    template_file=_sample_form(material.name) if position_has_template(matter, material) else None,
                    **fields,
                )
                count += 1
        count += catalogue.materials_verify(
            actor=admin,
            request=None,
            matter_id=matter.pk,
            material_ids=[m.pk for m in matter.materials.all() if not m.verified],
        )
    return count


def seed(stdout) -> None:
    report = load_catalogue()
    stdout.write(
        f"事项目录：新建事项 {report.matters_created} 个，已有 {report.matters_kept} 个；"
        f"载入参考材料 {report.materials_created} 项（待核实），集成办理 {report.bundles_created} 个"
    )
    for number, (name, phone, lead, _) in WINDOWS.items():
        Stage.objects.filter(number=number, window_phone="").update(
            window_name=name, window_phone=phone, lead_unit=Department.objects.filter(name=lead).first()
        )
    if Project.objects.filter(name=PROJECTS[0][0]).exists():
        stdout.write("项目档案：演示项目已存在，未重复创建")
        return
    admin = User.objects.get(username="demo_admin")
    stdout.write(f"事项目录：管理员核实演示事项的申请材料 {_check_materials(admin)} 项，其余待核实")
    clock = _Clock()
    # processing modes the district allows for some matters (an administrator keeps these flags)
    Matter.objects.filter(
        name__in=[
            "建设工程设计方案审查",
            "建设工程规划许可证核发",
            "施工图设计文件审查",
            "建设工程消防设计审查",
            "防空地下室建设审批",
            "环境影响评价报告书审批",
            "环境影响评价报告表审批",
        ]
    ).update(allows_parallel=True)
    Matter.objects.filter(
        name__in=[
            "建设项目用地预审与选址意见书核发",
            "建筑工程施工许可证核发",
            "环境影响评价登记表备案",
            "建设工程规划许可证核发",
        ]
    ).update(allows_commitment=True)
    Matter.objects.filter(
        name__in=["城建档案验收", "建筑工程施工许可证核发", "供水接入", "排水接入", "城镇污水排入排水管网许可"]
    ).update(allows_deficiency=True)
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=["demo_specialist", "liu_specialist", "sun_window", "demo_dept", "zheng_water"]
        )
    }
    li, liu, sun = users["demo_specialist"], users["liu_specialist"], users["sun_window"]
    dept, water = users["demo_dept"], users["zheng_water"]
    owners = [li, li, li, li, li, li, liu, li, liu, sun]
    started = [60, 45, 130, 3, 70, 25, 200, 40, 35, 12]
    projects: list[Project] = []
    for row, owner, days in zip(PROJECTS, owners, started, strict=True):
        (name, code, builder, credit, contact, phone, inv, nature, category, land, floor, money, key, site) = row
        visited = clock.at(clock.ago(days))
        consultation = services.consultation_log(
            actor=owner,
            request=None,
            project=None,
            new_project={
                "name": name,
                "code": code,
                "builder": builder,
                "builder_credit_code": _credit(credit),
                "contact_name": contact,
                "contact_phone": phone,
                "investment_type": inv,
            },
            visited_at=visited,
            kind="咨询",
            visitor_name=contact,
            visitor_phone=phone,
            visitor_company=builder,
            question="项目前期需要办理哪些审批事项，材料怎么准备？",
            answer="已逐项讲解立项用地规划阶段事项及办理顺序，建议先办理用地预审与选址。",
            policies="工程建设项目“拿地即开工”；告知承诺制",
            outcome="一次性告知",
            matters=_matters(["建设项目用地预审与选址意见书核发"]),
        )
        project = consultation.project
        Project.objects.filter(pk=project.pk).update(
            nature=nature,
            category=category,
            land_area=land,
            floor_area=floor,
            total_investment=money,
            is_key=key,
            site=site,
        )
        projects.append(project)
    p_mall, p_old, p_resettle, p_factory, p_cold, p_road, p_hospital, p_spa, p_dsb, p_sewer = projects

    def add(project, names):
        services.project_matters_add(
            actor=project.specialist, request=None, project_id=project.pk, matters=_matters(names)
        )

    def letter(project, names, told=()):
        services.letter_issue(
            actor=project.specialist,
            request=None,
            project_id=project.pk,
            matters=_matters(names),
            guide_told=_matters(told),
            recipient=project.builder,
            policies="本项目可申请“拿地即开工”并联审批，施工许可可分阶段办理。",
            consultation=project.consultations.first(),
            lookup_base=LOOKUP_BASE,
        )

    # 1. commercial complex, 施工许可阶段: stages 1–2 done, fire review overdue, civil defence paused
    letter(p_mall, ["施工图设计文件审查", "建设工程消防设计审查", "防空地下室建设审批", "建筑工程施工许可证核发"])
    add(
        p_mall,
        [
            "建设项目用地预审与选址意见书核发",
            "建设用地规划许可证核发",
            "建设工程规划许可证核发",
            "施工图设计文件审查",
            "建设工程消防设计审查",
            "防空地下室建设审批",
            "建筑工程施工许可证核发",
        ],
    )
    _move(
        li, p_mall, "建设项目用地预审与选址意见书核发", [(S.ACCEPTED, clock.ago(58), ""), (S.DONE, clock.ago(50), "")]
    )
    _move(li, p_mall, "建设用地规划许可证核发", [(S.ACCEPTED, clock.ago(49), ""), (S.DONE, clock.ago(45), "")])
    _move(
        li,
        p_mall,
        "建设工程规划许可证核发",
        [(S.ACCEPTED, clock.ago(40), ""), (S.DONE, clock.ago(36), "")],
        mode="并联审批",
    )
    _move(li, p_mall, "施工图设计文件审查", [(S.ACCEPTED, clock.ago(30), ""), (S.DONE, clock.ago(22), "")])
    _move(dept, p_mall, "建设工程消防设计审查", [(S.ACCEPTED, clock.ago(20), ""), (S.REVIEWING, clock.ago(18), "")])
    _move(
        li,
        p_mall,
        "防空地下室建设审批",
        [(S.ACCEPTED, clock.ago(8), ""), (S.SUPPLEMENT, clock.ago(5), "人防面积计算书与设计说明不一致，需补正")],
    )

    # 2. old-town renewal: preliminary design near due (预警), planning permit done
    add(p_old, ["政府投资项目初步设计审批（含概算）", "建设工程规划许可证核发", "附属绿化工程设计方案审查"])
    _move(li, p_old, "建设工程规划许可证核发", [(S.ACCEPTED, clock.ago(20), ""), (S.DONE, clock.ago(16), "")])
    _move(
        dept,
        p_old,
        "政府投资项目初步设计审批（含概算）",
        [(S.ACCEPTED, clock.ago(9), ""), (S.REVIEWING, clock.ago(7), "")],
    )
    _move(li, p_old, "附属绿化工程设计方案审查", [(S.ACCEPTED, clock.ago(2), "")])

    # 3. resettlement housing, 竣工验收阶段
    add(p_resettle, ["规划条件核实", "联合验收", "竣工验收备案", "城建档案验收"])
    _move(li, p_resettle, "规划条件核实", [(S.ACCEPTED, clock.ago(15), ""), (S.DONE, clock.ago(11), "")])
    _move(dept, p_resettle, "联合验收", [(S.ACCEPTED, clock.ago(6), ""), (S.REVIEWING, clock.ago(5), "")])
    # 容缺受理: the 移交书 to follow within 3 working days, not supplied yet (逾期未补 in the to-do)
    _move(
        li,
        p_resettle,
        "城建档案验收",
        [(S.ACCEPTED, clock.ago(4), "")],
        mode="容缺受理",
        terms={"missing": [(None, "建设工程档案移交书（原件）")], "supply_workdays": 3},
    )

    # 4. factory: a new visitor, consulting only, no project code yet, a letter issued
    letter(
        p_factory,
        ["企业投资项目备案", "建设项目用地预审与选址意见书核发", "建设用地规划许可证核发", "固定资产投资项目节能审查"],
        told=["固定资产投资项目节能审查"],
    )
    add(p_factory, ["企业投资项目备案", "建设项目用地预审与选址意见书核发"])

    # 5. cold-chain logistics: utility connections
    add(p_cold, ["供水接入", "供电接入", "排水接入", "环境影响评价报告书审批"])
    # 30 working days from yesterday fall due in a year whose holidays are not yet published: （暂按）
    _move(li, p_cold, "环境影响评价报告书审批", [(S.ACCEPTED, clock.ago(1), "")])
    # finished two working days after its due date: 逾期办结
    _move(li, p_cold, "供电接入", [(S.ACCEPTED, clock.ago(12), ""), (S.DONE, clock.ago(5), "")])
    # 补正 notified after the due date: recorded, but the clock does not stop and it stays 逾期
    _move(
        li,
        p_cold,
        "排水接入",
        [(S.ACCEPTED, clock.ago(9), ""), (S.SUPPLEMENT, clock.ago(2), "排水接驳图未加盖设计单位出图章")],
    )
    _move(water, p_cold, "供水接入", [(S.ACCEPTED, clock.ago(5), "")])

    # 6. road improvement: feasibility study accepted under commitment
    add(p_road, ["政府投资项目可行性研究报告审批", "建设项目用地预审与选址意见书核发"])
    _move(li, p_road, "政府投资项目可行性研究报告审批", [(S.ACCEPTED, clock.ago(3), "")])
    _move(
        li,
        p_road,
        "建设项目用地预审与选址意见书核发",
        [(S.ACCEPTED, clock.ago(14), ""), (S.REVIEWING, clock.ago(12), "")],
        mode="承诺办理",
        terms={
            "commitment": conditions.CommitmentTerms(
                content="承诺在取得用地预审意见后 30 日内补交经批复的可行性研究报告，逾期未补交的，同意撤销审批决定。",
                verify_by=clock.ago(2),
            )
        },
    )

    # 7. hospital extension: registration done, dossier complete
    add(p_hospital, ["竣工验收备案", "不动产首次登记"])
    _move(liu, p_hospital, "竣工验收备案", [(S.ACCEPTED, clock.ago(20), ""), (S.DONE, clock.ago(17), "")])
    _move(liu, p_hospital, "不动产首次登记", [(S.ACCEPTED, clock.ago(10), ""), (S.DONE, clock.ago(6), "")])
    # the last matter of the last stage finished: the project completed itself on that day

    # 8. forest resort: on hold, one matter refused
    add(p_spa, ["建设项目用地预审与选址意见书核发", "环境影响评价报告书审批"])
    _move(
        li,
        p_spa,
        "环境影响评价报告书审批",
        [
            (S.ACCEPTED, clock.ago(35), ""),
            (S.DONE, clock.ago(24), "环境影响评价结论不支持现选址方案", ProjectMatter.Result.FAILED),
        ],
    )
    _move(
        li,
        p_spa,
        "建设项目用地预审与选址意见书核发",
        [(S.ACCEPTED, clock.ago(30), ""), (S.REFUSED, clock.ago(22), "选址位于生态保护红线内，不予办理")],
    )
    p_spa.refresh_from_db()
    services.project_update(
        actor=li,
        request=None,
        project_id=p_spa.pk,
        version=p_spa.version,
        specialist=li,
        status=Project.Status.ON_HOLD,
        reason="选址调整中，待重新论证",
        **{f: getattr(p_spa, f) for f in services.PROJECT_FIELDS},
    )

    # 9. and 10. colleagues' projects
    add(p_dsb, ["建设工程设计方案审查", "环境影响评价报告表审批"])
    _move(liu, p_dsb, "建设工程设计方案审查", [(S.ACCEPTED, clock.ago(16), ""), (S.REVIEWING, clock.ago(14), "")])
    add(p_sewer, ["河道管理范围内建设项目方案审批"])
    _move(sun, p_sewer, "河道管理范围内建设项目方案审批", [(S.ACCEPTED, clock.ago(4), "")])

    # feedback to applicants, and a couple of general enquiries without a dossier
    for project, content in (
        (p_mall, "已电话告知：人防审批需补正人防面积计算书，补齐后恢复计时。"),
        (p_old, "已告知初步设计审批进入审查，预计本周内出具批复。"),
        (p_hospital, "不动产首次登记已办结，证书可到区不动产登记中心领取。"),
    ):
        services.feedback_record(
            actor=project.specialist,
            request=None,
            project_id=project.pk,
            told_at=clock.at(clock.ago(1), 15),
            method="电话",
            content=content,
        )
    for days, visitor, question in (
        (1, "杨女士", "个人自建房是否需要办理建设工程规划许可？"),
        (0, "邓先生", "社会投资小型低风险项目可以享受哪些简化流程？"),
    ):
        services.consultation_log(
            actor=li,
            request=None,
            project=None,
            visited_at=min(clock.at(clock.ago(days), 9), timezone.now()),
            kind="咨询",
            visitor_name=visitor,
            question=question,
            answer="已现场解答并提供办事指南。",
            outcome="当场解答",
        )
    stdout.write(f"项目档案：演示项目 {len(projects)} 个，含逾期、预警、补正、不予办理、已办结等情形")
    seed_sms(stdout)
    seed_lookups(stdout)  # numbers for code-less demo projects; prints a pair to try on /progress/
