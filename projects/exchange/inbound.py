"""Reading the city's rows from the staging database and applying them here through the same services as the
pages (``projects.services``), so due dates, the dossier's timeline, the SMS to the applicant and the audit log
follow as if a person had recorded them. What cannot be applied is never forced: a row without its parent is
refused with the reason, anything else goes to the exchange inbox (``ExchangeIssue``) for a person."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from projects import services
from projects.exchange import events, staging
from projects.exchange.codes import Blzt
from projects.exchange.models import ExchangeCursor, ExchangeIssue, ExchangeRun
from projects.models import Matter, MatterEvent, Project, ProjectMatter
from qinqing.models import User
from qinqing.workdays import WorkCalendar

S = ProjectMatter.Status
Issue = ExchangeIssue.Kind
CURSOR_SAVE_EVERY = 500

# the city's statuses a person must judge: nothing here corresponds to them by itself
FOR_A_PERSON = {
    Blzt.NOT_ACCEPTED: "市审批系统记为“不受理”",
    Blzt.REFUSED_ACCEPTANCE: "市审批系统记为“不予受理”",
    Blzt.REVOKED: "市审批系统记为“撤销”（撤销审批须在本系统按告知承诺核查结果办理）",
    Blzt.CANCEL_PENDING: "市审批系统记为“撤件待确认”",
}
RESULTS = {
    Blzt.PASSED: ProjectMatter.Result.PASSED,
    Blzt.PASSED_DEFICIENT: ProjectMatter.Result.PASSED_DEFICIENT,
    Blzt.FAILED: ProjectMatter.Result.FAILED,
}


def exchange_actor() -> User:
    """The account the city's rows are recorded under: it cannot sign in (no password, not active)."""
    user, created = User.objects.get_or_create(
        username="spgl_exchange",
        defaults={"display_name": "市审批系统", "is_active": False, "must_change_password": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _plain(value):
    """A staging value as JSON holds it (times and amounts as text)."""
    if value is None or isinstance(value, (int, str)):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class Inbound:
    def __init__(self, run: ExchangeRun):
        self.run = run
        self.actor = exchange_actor()
        # one calendar for the whole run: each year's working days are worked out once, not once per row
        self.calendar = WorkCalendar()

    # --- reading -------------------------------------------------------------------------------------

    def _rows(self, table: staging.Table):
        cursor, _ = ExchangeCursor.objects.get_or_create(name=f"in:{table.name}")
        rows = staging.read_since(table, after=cursor.changed_at, after_lsh=cursor.sequence, city=True)
        for seen, row in enumerate(rows, start=1):
            self.run.rows_read += 1
            yield row
            cursor.changed_at, cursor.sequence = staging.from_staging(row["GXSJ"]), row["LSH"]
            if seen % CURSOR_SAVE_EVERY == 0:
                cursor.save(update_fields=["changed_at", "sequence"])
        cursor.save(update_fields=["changed_at", "sequence"])

    def _issue(self, kind: str, table: staging.Table, row: dict, summary: str, **links) -> None:
        key = row.get("DFSJZJ") or ""
        if ExchangeIssue.objects.filter(row_key=key, kind=kind, status=ExchangeIssue.Status.OPEN).exists():
            return  # (the city rewrote a row already waiting for a person: one item is enough)
        if kind == Issue.ORPHAN:
            self.run.rows_refused += 1
        else:
            self.run.conflicts += 1
        pm = links.get("project_matter")
        ExchangeIssue.objects.create(
            run=self.run,
            kind=kind,
            table=table.name,
            row_key=row.get("DFSJZJ") or "",
            summary=summary[:500],
            payload={key: _plain(value) for key, value in row.items()},
            project=links.get("project") or (pm.project if pm else None),
            project_matter=pm,
            unit=pm.unit if pm else None,
        )

    # --- projects ----------------------------------------------------------------------------------------

    @staticmethod
    def find_project(*, xmdm: str = "", gcdm: str = "") -> Project | None:
        gcdm, xmdm = (gcdm or "").strip(), (xmdm or "").strip().upper()
        if gcdm:
            project = Project.objects.filter(works_code=gcdm).first()
            if project is not None:
                return project
            xmdm = xmdm or gcdm.rsplit("-", 1)[0].upper()
        project = Project.objects.filter(code=xmdm).first() if xmdm else None
        while project is not None and project.merged_into_id:
            project = project.merged_into
        return project

    def projects(self) -> None:
        for row in self._rows(staging.PROJECTS):
            if row["SJYXBS"] == 0:
                continue
            project = self.find_project(xmdm=row["XMDM"], gcdm=row["GCDM"])
            if project is None:
                self._issue(
                    Issue.NO_PROJECT,
                    staging.PROJECTS,
                    row,
                    f"市审批系统的项目“{row['XMMC']}”（项目代码 {row['XMDM']}）在本系统没有档案：请核实后建档并填写项目代码。",
                )
                continue
            if row["GCDM"] and not project.works_code:
                services.set_works_code(actor=self.actor, project_id=project.pk, works_code=row["GCDM"])
            self.run.rows_applied += 1

    # --- matter instances -----------------------------------------------------------------------------

    @staticmethod
    def find_matter(row: dict) -> Matter | None:
        code, version, standard = (row.get(k) or "" for k in ("SPSXBM", "SPSXBBH", "DYBZSPSXBM"))
        if code:
            candidates = list(Matter.objects.filter(spgl_code=code))
            for matter in candidates:
                if matter.spgl_version == version:
                    return matter
            if candidates:
                return candidates[0]
        if standard:
            return Matter.objects.filter(standard_code=standard).first()
        return None

    def matters(self) -> None:
        for row in self._rows(staging.MATTERS):
            if row["SJYXBS"] == 0:
                continue
            case_no = row["SPSXSLBM"] or ""
            project = self.find_project(gcdm=row["GCDM"])
            if project is None:
                self._issue(
                    Issue.ORPHAN, staging.MATTERS, row, f"工程代码 {row['GCDM']} 没有对应的项目，拒收办件 {case_no}。"
                )
                continue
            matter = self.find_matter(row)
            if matter is None:
                self._issue(
                    Issue.UNKNOWN_MATTER,
                    staging.MATTERS,
                    row,
                    f"事项编码 {row['SPSXBM'] or '（空）'}（{row['SPSXMC'] or '未写名称'}）不在本系统事项目录中：请系统管理员在事项目录中"
                    "填写该事项的审批事项编码后，由区工改办标记处理，下次交换重新读取。",
                    project=project,
                )
                continue
            try:
                with transaction.atomic():
                    services.attach_city_matter(
                        actor=self.actor, project=project, matter=matter, case_no=case_no, city_key=row["DFSJZJ"]
                    )
            except ValidationError as error:
                self._issue(Issue.NOT_APPLICABLE, staging.MATTERS, row, "；".join(error.messages), project=project)
                continue
            self.run.rows_applied += 1

    # --- statuses --------------------------------------------------------------------------------------

    def statuses(self) -> None:
        for row in self._rows(staging.STATUSES):
            if row["SJYXBS"] == 0:
                continue
            key = row["DFSJZJ"]
            if MatterEvent.objects.filter(city_key=key).exists():
                self.run.rows_applied += 1  # (already applied: the row came back unchanged)
                continue
            pm = ProjectMatter.objects.filter(case_no=row["SPSXSLBM"] or "").select_related("project", "unit").first()
            if pm is None:
                self._issue(
                    Issue.ORPHAN,
                    staging.STATUSES,
                    row,
                    f"办件编号 {row['SPSXSLBM']} 没有对应的事项办件，拒收该办理状态。",
                )
                continue
            refusal = self.apply_status(pm, row)
            if refusal:
                self._issue(refusal[0], staging.STATUSES, row, refusal[1], project_matter=pm)
            else:
                self.run.rows_applied += 1

    def apply_status(self, pm: ProjectMatter, row: dict) -> tuple[str, str] | None:
        """Apply one of the city's status rows to ``pm``; returns (inbox kind, why) when it was not applied."""
        try:
            code = Blzt(row["BLZT"])
        except ValueError:
            return Issue.NOT_APPLICABLE, f"办理状态 {row['BLZT']} 不是 SPGL 规定的状态。"
        at = staging.from_staging(row["BLSJ"])
        if at is None:
            return Issue.NOT_APPLICABLE, "缺少办理时间（BLSJ）。"
        on = timezone.localtime(at).date()
        opinion = (row.get("BLYJ") or "").strip()
        label = f"市审批系统 {on:%Y-%m-%d} 报“{code.label}”"
        if code in FOR_A_PERSON:
            return Issue.NOT_APPLICABLE, f"{FOR_A_PERSON[code]}（{on:%Y-%m-%d}），本系统未自动办理，请核实后处理。"
        if pm.last_changed_on and on < pm.last_changed_on:
            return Issue.LOCAL_NEWER, (
                f"本系统已于 {pm.last_changed_on:%Y-%m-%d} 把该事项记为“{pm.status_label}”，比{label}更新，未按市系统覆盖；"
                "请核对两边记录。"
            )
        city = (int(code), row["DFSJZJ"])
        move: dict = {}
        if code in (Blzt.RECEIVED,) or (code in (Blzt.WINDOW_ACCEPTED, Blzt.UNIT_ACCEPTED) and pm.status != S.PENDING):
            self._record_only(pm, code, on, at, opinion, city)
            return None
        if code in (Blzt.WINDOW_ACCEPTED, Blzt.UNIT_ACCEPTED):
            move = {"to_status": S.ACCEPTED, "confirm_non_workday": True}
        elif code == Blzt.SUPPLEMENT_START:
            move = {"to_status": S.SUPPLEMENT, "reason": opinion or "市审批系统通知补正材料"}
        elif code == Blzt.SUPPLEMENT_END:
            move = {"to_status": S.REVIEWING}
        elif code in RESULTS:
            move = {
                "to_status": S.DONE,
                "result": RESULTS[code],
                "reason": opinion or ("市审批系统办结（不通过）" if code == Blzt.FAILED else ""),
            }
        elif code in (Blzt.WITHDRAWN, Blzt.CANCELLED):
            move = {"to_status": S.WITHDRAWN, "reason": opinion or f"市审批系统：{code.label}"}
        try:
            if code in (Blzt.SPECIAL_START, Blzt.SPECIAL_END):
                services.special_procedure(
                    actor=self.actor,
                    request=None,
                    project_matter_id=pm.pk,
                    version=pm.version,
                    start=code == Blzt.SPECIAL_START,
                    on=on,
                    reason=opinion or "市审批系统：特别程序",
                    city=city,
                    calendar=self.calendar,
                )
            else:
                services.matter_move(
                    actor=self.actor,
                    request=None,
                    project_matter_id=pm.pk,
                    version=pm.version,
                    on=on,
                    city=city,
                    calendar=self.calendar,
                    **move,
                )
        except ValidationError as error:
            return Issue.NOT_APPLICABLE, f"{label}，本系统不能照此办理：" + "；".join(error.messages)
        return None

    def _record_only(self, pm, code, on, at, opinion, city) -> None:
        events.record_status(pm, status=code, on=on, occurred_at=at, actor=self.actor, opinion=opinion, city=city)


def run_inbound(run: ExchangeRun) -> None:
    inbound = Inbound(run)
    inbound.projects()
    inbound.matters()
    inbound.statuses()
    run.save()
