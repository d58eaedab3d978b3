"""Writing the hall's projects, matter instances and status history into the staging tables (SJSCZT 0, for the
city to take), and reading back the rows the city refused (SJSCZT -1 with SBYY) as work for a person.

Each row is keyed ``LOCAL_PREFIX`` + kind + our primary key (DFSJZJ), so writing again updates it in place.
Rows the city sent (a project matter or an event from the city) are not sent back."""

from __future__ import annotations

from datetime import datetime, time

from django.utils import timezone

from projects import services
from projects.exchange import staging
from projects.exchange.codes import DISTRICT_CODE, spgl_stage
from projects.exchange.inbound import exchange_actor
from projects.exchange.models import ExchangeCursor, ExchangeIssue, ExchangeRun
from projects.models import MatterEvent, Project, ProjectMatter

PREFIX = staging.LOCAL_PREFIX
# LXLX (立项类型): 1 审批 (government investment), 3 备案 (enterprise investment) — 核准 (2) is not told apart here
APPROVAL_TYPE = {Project.InvestmentType.GOVERNMENT: 1, Project.InvestmentType.SOCIAL: 3}


def _control(key: str, now) -> dict:
    return {"DFSJZJ": key, "XZQHDM": DISTRICT_CODE, "SJYXBS": 1, "SJWXYY": None, "SJSCZT": 0, "SBYY": None, "GXSJ": now}


def _cursor(name: str) -> ExchangeCursor:
    return ExchangeCursor.objects.get_or_create(name=name)[0]


class Outbound:
    def __init__(self, run: ExchangeRun):
        self.run = run
        self.now = staging.to_staging(timezone.now())
        self.actor = exchange_actor()

    def works_code(self, project: Project) -> str:
        """The project's 工程代码, given now (its code and -0001, or the next free number) if it has none."""
        if project.works_code:
            return project.works_code
        taken = set(
            Project.objects.filter(works_code__startswith=project.code + "-").values_list("works_code", flat=True)
        )
        number = next(n for n in range(1, 10000) if f"{project.code}-{n:04d}" not in taken)
        services.set_works_code(actor=self.actor, project_id=project.pk, works_code=f"{project.code}-{number:04d}")
        project.refresh_from_db(fields=["works_code", "version", "updated_at"])
        return project.works_code

    def projects(self) -> None:
        cursor = _cursor("out:projects")
        changed = Project.objects.exclude(code="").exclude(status=Project.Status.MERGED).order_by("updated_at", "id")
        if cursor.changed_at is not None:
            changed = changed.filter(updated_at__gt=cursor.changed_at)
        rows, units = [], []
        last = cursor.changed_at
        for project in changed.iterator(chunk_size=500):
            gcdm = self.works_code(project)
            rows.append(
                {
                    **_control(f"{PREFIX}XM-{project.pk}", self.now),
                    "XMDM": project.code,
                    "GCDM": gcdm,
                    "XMMC": project.name,
                    "JSDW": project.builder,
                    "JSDWDM": project.builder_credit_code or None,
                    "ZTZE": project.total_investment,
                    "JSDD": project.site or None,
                    "LXLX": APPROVAL_TYPE.get(project.investment_type),
                    "XMTZLY": 1 if project.investment_type == Project.InvestmentType.GOVERNMENT else 2,
                }
            )
            units.append(
                {
                    **_control(f"{PREFIX}DW-{project.pk}", self.now),
                    "GCDM": gcdm,
                    "DWMC": project.builder,
                    "DWTYSHXYDM": project.builder_credit_code or None,
                    "DWLX": 1,  # 建设单位
                }
            )
            last = max(last, project.updated_at) if last else project.updated_at
        self.run.rows_written += staging.upsert(staging.PROJECTS, rows) + staging.upsert(staging.UNITS, units)
        cursor.changed_at = last
        cursor.save(update_fields=["changed_at"])

    def matters(self) -> None:
        cursor = _cursor("out:matters")
        changed = (
            ProjectMatter.objects.exclude(case_no="")
            .filter(city_key="")
            .select_related("project", "matter", "matter__stage", "unit")
            .order_by("updated_at", "id")
        )
        if cursor.changed_at is not None:
            changed = changed.filter(updated_at__gt=cursor.changed_at)
        rows, last = [], cursor.changed_at
        for pm in changed.iterator(chunk_size=500):
            matter = pm.matter
            rows.append(
                {
                    **_control(f"{PREFIX}SX-{pm.pk}", self.now),
                    "GCDM": self.works_code(pm.project),
                    "SPJDXH": int(spgl_stage(matter.stage.number)),
                    "SPSXBM": matter.spgl_code or None,
                    "SPSXBBH": matter.spgl_version or None,
                    "DYBZSPSXBM": matter.standard_code or None,
                    "SPSXMC": matter.name,
                    "SPSXSLBM": pm.case_no,
                    "SPBMBM": None,
                    "SPBMMC": pm.unit.name,
                    "SLFS": 1,  # 窗口受理
                    "SLSJ": datetime.combine(pm.accepted_on, time()) if pm.accepted_on else None,
                    "BLSPSLBM": None,
                }
            )
            last = max(last, pm.updated_at) if last else pm.updated_at
        self.run.rows_written += staging.upsert(staging.MATTERS, rows)
        cursor.changed_at = last
        cursor.save(update_fields=["changed_at"])

    def statuses(self) -> None:
        cursor = _cursor("out:statuses")
        events = (
            MatterEvent.objects.filter(source=MatterEvent.Source.LOCAL, id__gt=cursor.sequence)
            .exclude(project_matter__case_no="")
            .select_related("project_matter", "project_matter__unit")
            .order_by("id")
        )
        rows, last = [], cursor.sequence
        for event in events.iterator(chunk_size=2000):
            pm = event.project_matter
            rows.append(
                {
                    **_control(f"{PREFIX}ZT-{event.pk}", self.now),
                    "SPSXSLBM": pm.case_no,
                    "BLCS": pm.unit.name,
                    "BLR": event.handler_name or None,
                    "BLZT": event.status,
                    "BLYJ": event.opinion or None,
                    "BLSJ": staging.to_staging(event.occurred_at),
                }
            )
            last = event.pk
        self.run.rows_written += staging.upsert(staging.STATUSES, rows)
        cursor.sequence = last
        cursor.save(update_fields=["sequence"])

    def refusals(self) -> None:
        """The hall's rows the city refused since the last look: one inbox item each, with the city's reason."""
        for table in (staging.PROJECTS, staging.MATTERS, staging.STATUSES):
            cursor = _cursor(f"back:{table.name}")
            for row in staging.read_since(table, after=cursor.changed_at, after_lsh=cursor.sequence, city=False):
                cursor.changed_at, cursor.sequence = staging.from_staging(row["GXSJ"]), row["LSH"]
                if row["SJSCZT"] != -1:
                    continue
                self.run.city_refusals += 1
                kind, _, pk = row["DFSJZJ"][len(PREFIX) :].partition("-")
                links = {}
                if kind == "XM":
                    links["project"] = Project.objects.filter(pk=pk).first()
                elif kind == "SX":
                    links["project_matter"] = (
                        ProjectMatter.objects.filter(pk=pk).select_related("project", "unit").first()
                    )
                elif kind == "ZT":
                    event = (
                        MatterEvent.objects.filter(pk=pk)
                        .select_related("project_matter__project", "project_matter__unit")
                        .first()
                    )
                    links["project_matter"] = event.project_matter if event else None
                pm = links.get("project_matter")
                ExchangeIssue.objects.create(
                    run=self.run,
                    kind=ExchangeIssue.Kind.CITY_REFUSED,
                    table=table.name,
                    row_key=row["DFSJZJ"],
                    summary=f"市审批系统退回本系统上报的{table.title}：{row['SBYY'] or '未说明原因'}"[:500],
                    payload={"SBYY": row["SBYY"], "GXSJ": str(row["GXSJ"])},
                    project=links.get("project") or (pm.project if pm else None),
                    project_matter=pm,
                    unit=pm.unit if pm else None,
                )
            cursor.save(update_fields=["changed_at", "sequence"])


def run_outbound(run: ExchangeRun) -> None:
    outbound = Outbound(run)
    outbound.refusals()
    outbound.projects()
    outbound.matters()
    outbound.statuses()
    run.save()
