"""Import of an existing Excel ledger: upload, preview with every row's problems, confirm, discard."""

from __future__ import annotations

import io
import threading
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from ledger import imports
from ledger.models import LedgerImport
from projects.models import Project, TimelineEntry
from qinqing.models import AuditEntry
from qinqing.roles import Role
from tests.factories import ProjectFactory, StageFactory, UserFactory

HEADER = [
    "序号", "登记日期", "项目名称", "项目代码", "建设单位", "联系人及电话", "投资类型", "建设性质", "所处阶段",
    "帮办专员", "咨询/报件事项", "一次性告知情况", "办理进度", "存在问题", "协调解决情况", "办结时间", "备注",
]  # fmt: skip


def xlsx(rows, header=HEADER, *, before=(), title="工作台账") -> bytes:
    """A workbook in memory: ``before`` rows (a title, a filter line…), the header, the rows."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in before:
        sheet.append(list(row))
    if header is not None:
        sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def row(**values):
    """One ledger row by column name; the rest empty."""
    return [values.get(name) for name in HEADER]


def upload(client: Client, content: bytes, name: str = "江北区台账.xlsx", **data):
    return client.post(
        reverse("ledger:import_upload"),
        {"file": SimpleUploadedFile(name, content, content_type="application/octet-stream"), **data},
    )


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "imports"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def hall(db):
    stages = {
        1: StageFactory(number=1, name="立项用地规划许可阶段"),
        2: StageFactory(number=2, name="工程建设许可阶段"),
        3: StageFactory(number=3, name="施工许可阶段"),
        4: StageFactory(number=4, name="竣工验收阶段"),
    }
    li = UserFactory(roles=[Role.SPECIALIST], display_name="李明", username="liming")
    wang = UserFactory(roles=[Role.SPECIALIST], display_name="王静", username="wangjing")
    return {"stages": stages, "li": li, "wang": wang}


@pytest.fixture
def office(client_for):
    return client_for(Role.OFFICE)


GOOD = row(
    序号=1,
    登记日期=datetime(2026, 3, 2),  # noqa: DTZ001 (Excel dates are naive)
    项目名称="滨江花园二期",
    项目代码="2601-500105-04-01-38271X",
    建设单位="重庆滨江置业有限公司",
    联系人及电话="陈建国 13983012345",
    投资类型="社会投资",
    建设性质="新建",
    所处阶段="施工许可",
    帮办专员="李明",
    **{"咨询/报件事项": "施工许可咨询"},
    一次性告知情况="已告知 1 次",
    办理进度="1/3",
    存在问题="消防审查排期长",
    协调解决情况="已协调提前",
    备注="区重点项目",
)
NO_CODE_DONE = row(
    序号=2,
    登记日期="2026/1/5",
    项目名称="观音桥步行街改造",
    建设单位="江北区城市建设投资有限公司",
    联系人及电话="王芳/023-67512345",
    投资类型="政府投资",
    建设性质="改建",
    办结时间="2026年2月10日",
)
MASKED = row(
    序号=3,
    登记日期="2026.3.4",
    项目名称="北滨路商业综合体",
    项目代码="2602-500105-04-01-10001X",
    建设单位="重庆北滨商业管理有限公司",
    联系人及电话="张三 139****2345",
    投资类型="企业投资",
    帮办专员="王静",
)


def problem_rows():
    base = {"登记日期": "2026-03-05", "建设单位": "某公司", "投资类型": "社会投资", "帮办专员": "李明"}
    return [
        GOOD,  # row 2
        NO_CODE_DONE,  # row 3
        [None] * len(HEADER),  # row 4: empty, skipped silently
        row(**{**base, "项目名称": "含公式项目", "项目代码": "=A1&B1"}),  # row 5
        row(**{**base, "项目名称": "日期写错的项目", "登记日期": "2026-13-40"}),
        row(**{**base, "项目名称": "代码写错的项目", "项目代码": "12345"}),
        row(**{**base, "项目名称": "专员不存在的项目", "帮办专员": "赵六"}),
        row(**{**base, "建设单位": "没有名称的公司"}),  # row 9
        row(**{**base, "项目名称": "滨江花园二期（重复）", "项目代码": "2601-500105-04-01-38271X", "帮办专员": None}),
        MASKED,  # row 11
    ]


def test_preview_shows_every_row_with_its_problems(hall, office):
    """GIVEN a ledger with good rows and one row for each kind of problem
    WHEN the office uploads it
    THEN a waiting import is kept and the preview names each row's problem; nothing is imported yet."""
    content = xlsx(problem_rows())
    response = upload(office, content, default_specialist=hall["wang"].pk)
    item = LedgerImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:import_detail", args=[item.pk])
    assert item.status == LedgerImport.Status.PREVIEW
    assert item.original_name == "江北区台账.xlsx"
    assert item.size == len(content)
    assert item.file.name.startswith("imports/")
    assert item.file.name.isascii()
    assert Project.objects.count() == 0

    page = office.get(response["Location"]).content.decode()
    preview = imports.preview(item)
    by_row = {r.row: r for r in preview.rows}
    assert sorted(by_row) == [2, 3, 5, 6, 7, 8, 9, 10, 11]  # the empty row 4 is not listed
    assert by_row[2].outcome == by_row[3].outcome == by_row[11].outcome == imports.OUTCOME_NEW
    assert by_row[5].errors == ["项目代码：单元格含公式，未导入"]
    assert any("登记日期“2026-13-40”" in e for e in by_row[6].errors)
    assert any("项目代码格式不正确" in e for e in by_row[7].errors)
    assert by_row[8].errors == ["帮办专员“赵六”不是系统中在岗的帮办专员"]
    assert by_row[9].errors == ["缺少项目名称"]
    assert by_row[10].errors == ["与第 2 行重复（项目代码相同）"]
    assert by_row[11].warnings == ["电话已打码，未导入号码"]
    assert (preview.new_count, preview.exists_count, preview.error_count) == (3, 0, 6)
    for text in (
        "单元格含公式，未导入",
        "登记日期“2026-13-40”不是有效日期",
        "项目代码格式不正确",
        "不是系统中在岗的帮办专员",
        "缺少项目名称",
        "与第 2 行重复",
        "电话已打码，未导入号码",
        "导入 3 个项目",
        "可导入 3",
        "有问题 6",
    ):
        assert text in page, text
    # phones are masked on the preview
    assert "139****2345" in page
    assert "13983012345" not in page
    assert "139****2345" in page


def test_confirm_imports_exactly_the_good_rows(hall, office):
    upload(office, xlsx(problem_rows()), default_specialist=hall["wang"].pk)
    item = LedgerImport.objects.get()
    response = office.post(reverse("ledger:import_confirm", args=[item.pk]))
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == LedgerImport.Status.IMPORTED
    assert item.imported_at is not None
    assert (item.created_count, item.skipped_count) == (3, 6)
    assert Project.objects.count() == 3

    good = Project.objects.get(code="2601-500105-04-01-38271X")
    assert good.name == "滨江花园二期"
    assert good.builder == "重庆滨江置业有限公司"
    assert (good.contact_name, good.contact_phone) == ("陈建国", "13983012345")
    assert (good.investment_type, good.nature) == ("社会投资", "新建")
    assert good.current_stage == hall["stages"][3]
    assert good.specialist == hall["li"]
    assert good.registered_on == date(2026, 3, 2)
    assert good.status == Project.Status.ACTIVE
    assert good.completed_on is None
    assert good.note == (
        "【台账导入】事项：施工许可咨询；一次性告知：已告知 1 次；办理进度：1/3；存在问题：消防审查排期长；"
        "协调解决：已协调提前；备注：区重点项目"
    )
    assert good.created_by == office.user

    done = Project.objects.get(name="观音桥步行街改造")
    assert done.code == ""
    assert (done.contact_name, done.contact_phone) == ("王芳", "023-67512345")
    assert (done.investment_type, done.nature) == ("政府投资", "改建")
    assert done.specialist == hall["wang"]  # the default specialist, the cell being empty
    assert done.current_stage == hall["stages"][1]  # no stage given: the first
    assert done.registered_on == date(2026, 1, 5)
    assert done.status == Project.Status.COMPLETED
    assert done.completed_on == date(2026, 2, 10)
    assert done.note == ""

    masked = Project.objects.get(name="北滨路商业综合体")
    assert (masked.contact_name, masked.contact_phone) == ("张三", "")
    assert masked.investment_type == "社会投资"  # 企业投资 read leniently
    assert masked.status == Project.Status.ACTIVE
    assert masked.registered_on == date(2026, 3, 4)

    # each dossier starts with its timeline entry and history row; the import has one IMPORT audit row
    assert TimelineEntry.objects.filter(project=good, summary__contains="由台账导入建立项目档案").count() == 1
    assert good.history.get().history_change_reason == "台账导入"
    assert good.history.get().history_user == office.user
    entry = AuditEntry.objects.get(action=AuditEntry.Action.IMPORT)
    assert sorted(entry.after["新建项目"]) == sorted([good.pk, done.pk, masked.pk])
    assert entry.object_id == str(item.pk)
    assert "新建 3 个项目" in entry.detail
    # the result page links to the new dossiers
    page = office.get(reverse("ledger:import_detail", args=[item.pk])).content.decode()
    assert reverse("projects:detail", args=[good.pk]) in page
    created = {r["row"]: r.get("project_id") for r in item.result["rows"] if r["outcome"] == imports.OUTCOME_NEW}
    assert created == {2: good.pk, 3: done.pk, 11: masked.pk}


def test_reimporting_the_same_file_creates_nothing(hall, office):
    content = xlsx([GOOD, NO_CODE_DONE, MASKED])
    upload(office, content, default_specialist=hall["li"].pk)
    first = LedgerImport.objects.get()
    office.post(reverse("ledger:import_confirm", args=[first.pk]))
    assert Project.objects.count() == 3

    upload(office, content)
    second = LedgerImport.objects.exclude(pk=first.pk).get()
    preview = imports.preview(second)
    assert [r.outcome for r in preview.rows] == [imports.OUTCOME_EXISTS] * 3
    page = office.get(reverse("ledger:import_detail", args=[second.pk])).content.decode()
    assert "已存在，跳过" in page
    assert "同一文件已于" in page
    assert "导入 0 个项目" in page
    response = office.post(reverse("ledger:import_confirm", args=[second.pk]), follow=True)
    assert "没有可导入的行" in response.content.decode()
    assert Project.objects.count() == 3
    second.refresh_from_db()
    assert second.status == LedgerImport.Status.PREVIEW


def test_existing_project_matched_by_name_and_builder_ignoring_spaces(hall, office):
    ProjectFactory(name="观音桥步行街改造", builder="江北区城市建设投资有限公司", code="")
    upload(office, xlsx([row(**{**dict(zip(HEADER, NO_CODE_DONE, strict=True)), "项目名称": "观音桥 步行街改造"})]))
    preview = imports.preview(LedgerImport.objects.get())
    assert preview.rows[0].outcome == imports.OUTCOME_EXISTS


def test_an_export_of_this_system_imports_back(hall, office):
    """GIVEN projects exported as this system's ledger
    WHEN the export is uploaded: every project is recognised as existing;
    AND after the projects are gone, the same file imports them back with their facts."""
    stage = hall["stages"][2]
    first = ProjectFactory(
        name="滨江花园", contact_name="陈建国", current_stage=stage, specialist=hall["li"], is_key=True,
        total_investment=Decimal("45000.50"),
    )  # fmt: skip
    second = ProjectFactory(
        name="观音桥改造", code="", investment_type="政府投资", nature="扩建", specialist=hall["wang"]
    )
    export = office.get(reverse("ledger:export_xlsx"))
    assert export.status_code == 200
    upload(office, export.content, name="工作台账.xlsx")
    item = LedgerImport.objects.get()
    preview = imports.preview(item)
    assert preview.table.header_row == 4
    assert preview.table.unknown == []
    assert sorted(r.existing_id for r in preview.rows) == sorted([first.pk, second.pk])

    facts = {
        p.name: (
            p.code,
            p.builder,
            p.contact_name,
            p.investment_type,
            p.nature,
            p.specialist_id,
            p.registered_on,
            p.is_key,
            p.total_investment,
        )  # fmt: skip
        for p in (first, second)
    }
    Project.objects.all().delete()
    preview = imports.preview(item)
    assert preview.new_count == 2
    assert all("电话已打码，未导入号码" in r.warnings for r in preview.rows)
    office.post(reverse("ledger:import_confirm", args=[item.pk]))
    back = {
        p.name: (
            p.code,
            p.builder,
            p.contact_name,
            p.investment_type,
            p.nature,
            p.specialist_id,
            p.registered_on,
            p.is_key,
            p.total_investment,
        )  # fmt: skip
        for p in Project.objects.all()
    }
    assert back == facts
    assert Project.objects.get(name="滨江花园").current_stage == stage


def test_headers_in_any_order_with_synonyms_and_full_width_spaces(hall, office):
    header = [
        "所属街道",
        "帮办人",
        "来访日期",
        "联系电话",
        "联系人",
        "投资类型",
        "业主单位",
        "统一代码",
        "项目\u3000名称 ",
    ]
    content = xlsx(
        [
            [
                "寸滩街道",
                "李明",
                "2026-03-02",
                "13983012345",
                "陈建国",
                "社会投资",
                "重庆某公司",
                "2601-500105-04-01-38271X",
                "某项目",
            ]
        ],
        header=header,
        before=[["江北区亲清帮办工作台账（2026年）"], []],
    )
    upload(office, content)
    preview = imports.preview(LedgerImport.objects.get())
    assert preview.table.header_row == 3
    assert {c.field for c in preview.table.columns} == {
        "specialist", "registered_on", "contact_phone", "contact_name", "investment_type", "builder", "code", "name",
    }  # fmt: skip
    assert preview.table.unknown == ["所属街道"]
    [result] = preview.rows
    assert result.outcome == imports.OUTCOME_NEW, result.errors
    assert result.values["name"] == "某项目"
    assert (result.values["contact_name"], result.values["contact_phone"]) == ("陈建国", "13983012345")
    page = office.get(reverse("ledger:import_detail", args=[LedgerImport.objects.get().pk])).content.decode()
    assert "未识别的列" in page
    assert "所属街道" in page


def test_the_sheet_named_like_the_ledger_is_read(hall, office):
    book = Workbook()
    book.active.title = "说明"
    book.active.append(["本文件为台账"])
    sheet = book.create_sheet("工作台账")
    sheet.append(["项目名称", "建设单位", "投资类型", "帮办专员", "登记日期"])
    sheet.append(["某项目", "某公司", "社会投资", "李明", "2026-03-02"])
    buffer = io.BytesIO()
    book.save(buffer)
    upload(office, buffer.getvalue())
    preview = imports.preview(LedgerImport.objects.get())
    assert preview.table.sheet == "工作台账"
    assert preview.new_count == 1


def _zip_not_xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "不是台账")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("台账.csv", "项目名称,建设单位\n某项目,某公司\n".encode(), "只支持 Excel 2007 及以上的 .xlsx 文件"),
        ("台账.xls", None, "只支持 Excel 2007 及以上的 .xlsx 文件"),
        ("台账.xlsx", b"\xd0\xcf\x11\xe0" + b"\x00" * 600, "只支持 Excel 2007 及以上的 .xlsx 文件"),
        ("台账.xlsx", b"random bytes, not a workbook at all", "只支持 Excel 2007 及以上的 .xlsx 文件"),
        ("台账.xlsx", _zip_not_xlsx(), "文件已损坏或不是有效的 Excel 文件"),
        ("台账.xlsx", b"PK\x03\x04broken", "文件已损坏或不是有效的 Excel 文件"),
        ("台账.xlsx", xlsx([["某项目", "某公司"]], header=["名称说明", "建设单位", "投资类型"]), "没有“项目名称”列"),
        ("台账.xlsx", xlsx([], header=None), "是空的"),
        ("台账.xlsx", xlsx([]), "下面没有数据行"),
        ("台账.xlsx", xlsx([["甲", "乙"]], header=["所属街道", "其他"]), "没有找到表头"),
    ],
)
def test_a_bad_file_changes_nothing(hall, office, name, content, message):
    content = content if content is not None else xlsx([GOOD])
    before = stored_files()
    response = upload(office, content, name=name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert LedgerImport.objects.count() == 0
    assert Project.objects.count() == 0
    assert stored_files() == before


def test_an_oversize_file_is_refused(hall, office, monkeypatch):
    monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 1024)
    before = stored_files()
    response = upload(office, xlsx([GOOD]))
    assert "文件过大" in response.content.decode()
    assert "最大 1 KB" in response.content.decode()
    assert LedgerImport.objects.count() == 0
    assert stored_files() == before


def test_a_zip_bomb_is_refused(hall, office, monkeypatch):
    monkeypatch.setattr(imports, "MAX_UNCOMPRESSED_BYTES", 2000)
    before = stored_files()
    response = upload(office, xlsx([GOOD]))
    assert "文件解压后超过" in response.content.decode()
    assert LedgerImport.objects.count() == 0
    assert stored_files() == before


def test_too_many_rows_are_refused(hall, office, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 2)
    before = stored_files()
    response = upload(office, xlsx([GOOD, NO_CODE_DONE, MASKED]))
    assert "数据超过 2 行" in response.content.decode()
    assert LedgerImport.objects.count() == 0
    assert stored_files() == before


def test_the_original_name_is_cleaned(hall, office):
    upload(office, xlsx([GOOD]), name="..\\..\\etc\\台账\x07" + "长" * 300 + ".xlsx")
    item = LedgerImport.objects.get()
    assert "\\" not in item.original_name
    assert "/" not in item.original_name
    assert "\x07" not in item.original_name
    assert len(item.original_name) <= 200
    assert item.original_name.endswith(".xlsx")


def test_confirming_twice_is_refused(hall, office):
    upload(office, xlsx([GOOD, NO_CODE_DONE]), default_specialist=hall["li"].pk)
    item = LedgerImport.objects.get()
    office.post(reverse("ledger:import_confirm", args=[item.pk]))
    response = office.post(reverse("ledger:import_confirm", args=[item.pk]), follow=True)
    assert "该文件已导入" in response.content.decode()
    assert Project.objects.count() == 2
    assert AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT).count() == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_confirmations_at_once_import_once(hall):
    """Two office members press “导入” at the same moment: one imports, the other is told, no duplicates."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises writers")
    office = UserFactory(roles=[Role.OFFICE])
    item = imports.upload_create(
        actor=office,
        request=None,
        original_name="台账.xlsx",
        content=xlsx([GOOD, MASKED]),
        default_specialist=None,
    )
    results: list[str] = []
    barrier = threading.Barrier(2)

    def act() -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            imports.import_confirm(actor=office, request=None, import_id=item.pk)
            results.append("ok")
        except imports.ImportStateError as error:
            results.append(error.message)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=act), threading.Thread(target=act)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == sorted(["ok", "该文件已导入，不能再次导入。"])
    assert Project.objects.count() == 2
    assert AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT).count() == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_the_same_ledger_uploaded_twice_and_confirmed_at_once_imports_once(hall):
    """Two uploads of one file confirmed at the same moment: the second waits for the first, then finds
    its projects and skips them (rows without a code would otherwise be created twice)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises writers")
    office = UserFactory(roles=[Role.OFFICE])
    # 咨询中 projects without a code: only the name and the builder tell a duplicate
    rows = [
        row(
            序号=n,
            登记日期=datetime(2026, 3, 2),  # noqa: DTZ001 (Excel dates are naive)
            项目名称=f"无代码项目{n}",
            建设单位="重庆某建设公司",
            联系人及电话="陈建国 13983012345",
            投资类型="社会投资",
            建设性质="新建",
            帮办专员="李明",
        )
        for n in range(1, 41)
    ]
    items = [
        imports.upload_create(
            actor=office,
            request=None,
            original_name=f"台账{n}.xlsx",
            content=xlsx(rows),
            default_specialist=None,
        )  # fmt: skip
        for n in (1, 2)
    ]
    results: list[str] = []
    barrier = threading.Barrier(2)

    def act(item) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            imports.import_confirm(actor=office, request=None, import_id=item.pk)
            results.append("ok")
        except imports.ImportStateError as error:
            results.append(error.message)
        except Exception as error:  # noqa: BLE001  (report any other failure in the assertion)
            results.append(repr(error))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=act, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == sorted(["ok", "没有可导入的行（都已存在或有问题），未导入。如不再需要，请点“放弃”。"])
    assert Project.objects.count() == 40


def test_a_project_created_meanwhile_is_skipped_at_confirmation(hall, office):
    upload(office, xlsx([GOOD, MASKED]))
    item = LedgerImport.objects.get()
    assert imports.preview(item).new_count == 2
    meanwhile = ProjectFactory(code="2601-500105-04-01-38271X", name="滨江花园二期（窗口已建档）")
    office.post(reverse("ledger:import_confirm", args=[item.pk]))
    assert Project.objects.filter(code="2601-500105-04-01-38271X").get() == meanwhile
    item.refresh_from_db()
    assert (item.created_count, item.skipped_count) == (1, 1)


def test_a_failure_part_way_imports_nothing(hall, office, monkeypatch):
    upload(office, xlsx([GOOD, NO_CODE_DONE, MASKED]), default_specialist=hall["li"].pk)
    item = LedgerImport.objects.get()
    real = imports.timeline.record
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise IntegrityError("simulated")
        return real(*args, **kwargs)

    monkeypatch.setattr(imports.timeline, "record", failing)
    response = office.post(reverse("ledger:import_confirm", args=[item.pk]), follow=True)
    assert "本次未导入任何项目" in response.content.decode()
    assert Project.objects.count() == 0
    assert TimelineEntry.objects.count() == 0
    item.refresh_from_db()
    assert item.status == LedgerImport.Status.PREVIEW
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT).exists()


def test_discard_keeps_the_file_and_imports_nothing(hall, office):
    upload(office, xlsx([GOOD]))
    item = LedgerImport.objects.get()
    response = office.post(reverse("ledger:import_discard", args=[item.pk]), follow=True)
    assert "已放弃本次导入" in response.content.decode()
    item.refresh_from_db()
    assert item.status == LedgerImport.Status.DISCARDED
    assert Path(settings.MEDIA_ROOT, item.file.name).exists()
    response = office.post(reverse("ledger:import_confirm", args=[item.pk]), follow=True)
    assert "该文件已放弃" in response.content.decode()
    assert Project.objects.count() == 0


def test_upload_page_lists_past_imports(hall, office, client_for):
    upload(office, xlsx([GOOD]), name="去年台账.xlsx")
    other = client_for(Role.OFFICE)
    page = other.get(reverse("ledger:import_upload")).content.decode()
    item = LedgerImport.objects.get()
    assert "去年台账.xlsx" in page
    assert office.user.name in page
    assert "待确认" in page
    assert reverse("ledger:import_detail", args=[item.pk]) in page
    # another member of the office sees and may confirm it
    assert other.get(reverse("ledger:import_detail", args=[item.pk])).status_code == 200


def test_wrong_methods(hall, office):
    upload(office, xlsx([GOOD]))
    item = LedgerImport.objects.get()
    assert office.get(reverse("ledger:import_confirm", args=[item.pk])).status_code == 405
    assert office.get(reverse("ledger:import_discard", args=[item.pk])).status_code == 405
    assert office.post(reverse("ledger:import_detail", args=[item.pk])).status_code == 405
    assert office.put(reverse("ledger:import_upload")).status_code == 405
    assert office.post(reverse("ledger:import_confirm", args=[item.pk + 1000])).status_code == 404
    assert Project.objects.count() == 0


@pytest.mark.parametrize("role", [Role.SPECIALIST, Role.WINDOW, Role.DEPARTMENT, Role.ADMIN])
def test_only_the_office_may_import(hall, office, client_for, role):
    upload(office, xlsx([GOOD]))
    item = LedgerImport.objects.get()
    client = client_for(role)
    assert client.get(reverse("ledger:import_upload")).status_code == 403
    assert upload(client, xlsx([GOOD])).status_code == 403
    assert client.get(reverse("ledger:import_detail", args=[item.pk])).status_code == 403
    assert client.post(reverse("ledger:import_confirm", args=[item.pk])).status_code == 403
    assert client.post(reverse("ledger:import_discard", args=[item.pk])).status_code == 403
    assert LedgerImport.objects.count() == 1
    assert Project.objects.count() == 0
    item.refresh_from_db()
    assert item.status == LedgerImport.Status.PREVIEW


def test_anonymous_is_sent_to_login(hall, office):
    upload(office, xlsx([GOOD]))
    item = LedgerImport.objects.get()
    anonymous = Client()
    for response in (
        anonymous.get(reverse("ledger:import_upload")),
        anonymous.get(reverse("ledger:import_detail", args=[item.pk])),
        anonymous.post(reverse("ledger:import_confirm", args=[item.pk])),
        anonymous.post(reverse("ledger:import_discard", args=[item.pk])),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert Project.objects.count() == 0


# --- cell by cell -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2026, 3, 2, 10, 30), date(2026, 3, 2)),  # noqa: DTZ001
        (date(2026, 3, 2), date(2026, 3, 2)),
        ("2026-03-02", date(2026, 3, 2)),
        ("2026/3/2", date(2026, 3, 2)),
        ("2026年3月2日", date(2026, 3, 2)),
        ("2026.3.2", date(2026, 3, 2)),
        ("２０２６－０３－０２", date(2026, 3, 2)),
        ("20260302", date(2026, 3, 2)),
        ("2026-03-02 09:30", date(2026, 3, 2)),
        (46083, date(2026, 3, 2)),  # an Excel serial number in an unformatted cell
        ("—", None),
        (None, None),
    ],
)
def test_dates_are_read_leniently(value, expected):
    assert imports.parse_date("登记日期", value) == expected


@pytest.mark.parametrize("value", ["2026-02-30", "下周一", "1999-12-31", "3/2"])
def test_bad_dates_are_refused(value):
    with pytest.raises(imports.RowProblemError):
        imports.parse_date("登记日期", value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("陈建国 13983012345", ("陈建国", "13983012345", False, False)),
        ("陈建国/023-67512345", ("陈建国", "023-67512345", False, False)),
        ("陈建国（电话：13983012345）", ("陈建国", "13983012345", False, False)),
        ("陈建国 139****2345", ("陈建国", "", True, False)),
        ("13983012345", ("", "13983012345", False, False)),
        ("陈建国 13983012345、023-67512345", ("陈建国", "13983012345", False, True)),
        ("陈建国", ("陈建国", "", False, False)),
    ],
)
def test_contact_is_split_into_name_and_phone(text, expected):
    assert imports.split_contact(text) == expected


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("项目名称", "name"),
        (" 项目 名称 ", "name"),
        ("项目名称（全称）", "name"),
        ("投资项目统一代码", "code"),
        ("建设单位名称", "builder"),
        ("联系人及电话", "contact"),
        ("咨询／报件事项", "consulted"),
        ("办结日期", "completed_on"),
        ("所处阶段\n", "stage"),
        ("帮办人", "specialist"),
    ],
)
def test_header_names_are_matched_leniently(header, field):
    assert imports.HEADER_FIELDS[imports.normalize_header(header)] == field


def test_control_characters_are_refused():
    with pytest.raises(imports.RowProblemError, match="控制字符"):
        imports._text("项目名称", "控制\x01字符")
    assert imports._text("项目名称", " 滨江\u200b花园\n二期 ") == "滨江花园 二期"


def test_row_level_checks(hall, office):
    """Markup, control characters, over-long text, unknown choices and stages, a future date."""
    rows = [
        row(项目名称="<script>项目", 建设单位="某公司", 投资类型="社会投资", 帮办专员="李明"),
        row(项目名称="控制\u202e字符", 建设单位="某公司", 投资类型="社会投资", 帮办专员="李明"),
        row(项目名称="长" * 101, 建设单位="某公司", 投资类型="社会投资", 帮办专员="李明"),
        row(项目名称="类型不明", 建设单位="某公司", 投资类型="混合", 建设性质="改扩建", 帮办专员="李明"),
        row(项目名称="阶段不明", 建设单位="某公司", 投资类型="社会投资", 所处阶段="许可", 帮办专员="李明"),
        row(项目名称="未来项目", 建设单位="某公司", 投资类型="社会投资", 帮办专员="李明", 登记日期="2099-01-01"),
        row(项目名称="备注太长", 建设单位="某公司", 投资类型="社会投资", 帮办专员="李明", 备注="字" * 300),
        row(项目名称="没有专员", 建设单位="某公司", 投资类型="社会投资", 登记日期="2026-03-05"),
        row(项目名称="没有日期", 建设单位="某公司", 投资类型="社会投资", 帮办专员="wangjing", 所处阶段="竣工验收"),
    ]
    upload(office, xlsx(rows))
    preview = imports.preview(LedgerImport.objects.get())
    errors = {r.values["name"] or r.row: r.errors for r in preview.rows}
    assert any("标记字符" in e for e in errors[2])
    assert any("控制字符" in e for e in errors[3])
    assert any("最多 100 个字符" in e for e in errors[4])
    assert any("投资类型“混合”无法识别" in e for e in errors["类型不明"])
    assert any("建设性质“改扩建”无法识别" in e for e in errors["类型不明"])
    assert any("所处阶段“许可”不明确" in e for e in errors["阶段不明"])
    assert any("晚于今天" in e for e in errors["未来项目"])
    assert any("超过备注 300 字的上限" in e for e in errors["备注太长"])
    assert errors["没有专员"] == ["未填写帮办专员，上传时也没有选择默认帮办专员"]
    last = preview.rows[-1]
    assert last.errors == ["缺少登记日期（请填写原登记日期，以免历史项目计入本周新建档案）"]
    assert last.values["specialist"] == hall["wang"]  # matched by user name too
    assert last.values["current_stage"] == hall["stages"][4]


@pytest.mark.parametrize(
    ("text", "name", "phone"),
    [
        ("张三 139-8301-2345", "张三", "13983012345"),
        ("张三 139 8301 2345", "张三", "13983012345"),
        ("王五 8613983012345", "王五", "13983012345"),
        ("王五 +86 139 8301 2345", "王五", "13983012345"),
        ("赵六 023 6751 2345", "赵六", "023-67512345"),
        ("李四 (023)67512345", "李四", "023-67512345"),
        ("周 0755-12345678-12", "周", "0755-12345678-12"),
    ],
)
def test_grouped_and_prefixed_phones_are_read_not_left_in_the_name(text, name, phone):
    assert imports.split_contact(text)[:2] == (name, phone)


def test_a_number_left_in_the_contact_name_is_an_error_and_never_shown():
    result = imports.RowResult(row=5)
    name, phone = imports._contact(result, {"contact": ("张三 1398301234567890", "")})
    assert (name, phone) == ("", "")
    assert any("无法识别的号码" in e for e in result.errors)
    assert not any("1398301234567890" in m for m in result.errors + result.warnings)
