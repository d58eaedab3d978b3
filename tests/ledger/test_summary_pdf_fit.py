"""The summary PDF is fit to send (issue 17): on a sizeable data set (the bench generator at a small
scale, plus names as long as the fields allow in every column), no column runs past the margin. Checked
by the text positions poppler reads back: every word lies inside the page box less its margins."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from ledger import exports
from ledger.bench import seed
from ledger.summary import OVERDUE_SHOWN, Period, build_summary
from projects.models import Matter, Stage
from qinqing.roles import Role
from tests.factories import (
    DepartmentFactory,
    MatterFactory,
    ProjectFactory,
    ProjectMatterFactory,
    StageFactory,
    UserFactory,
)
from tests.pdf import _run, assert_cjk_fonts_embedded, require_cjk_font
from windows.models import Problem

MM = 72 / 25.4
# print.css: @page { size: A4; margin: 20mm 18mm 22mm }
MARGIN_TOP, MARGIN_SIDE, MARGIN_BOTTOM = 20 * MM, 18 * MM, 22 * MM
TOLERANCE = 1.0  # a point: glyph boxes are rounded by poppler
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def word_boxes(content: bytes) -> list[tuple[int, float, float, tuple[float, float, float, float], str]]:
    """(page number, page width, page height, (x0, y0, x1, y1), word) for every word of the PDF."""
    xhtml = _run("pdftotext", "-bbox", "-enc", "UTF-8", content=content)
    words = []
    for number, (width, height, body) in enumerate(_PAGE.findall(xhtml), start=1):
        for x0, y0, x1, y1, word in _WORD.findall(body):
            words.append((number, float(width), float(height), (float(x0), float(y0), float(x1), float(y1)), word))
    return words


def outside_the_margins(content: bytes) -> list[str]:
    """Every word printed past the side margins, or above the top margin, or below the bottom one (the
    page number in the footer is the only text meant for the margin)."""
    stray = []
    for page, width, height, (x0, y0, x1, y1), word in word_boxes(content):
        footer = y0 >= height - MARGIN_BOTTOM and re.fullmatch(r"第|\d+|页|/|共", word)
        if x0 < MARGIN_SIDE - TOLERANCE or x1 > width - MARGIN_SIDE + TOLERANCE:
            stray.append(f"第{page}页 x={x0:.0f}–{x1:.0f}（页宽 {width:.0f}）：{word}")
        elif not footer and (y0 < MARGIN_TOP - TOLERANCE or y1 > height - MARGIN_BOTTOM + TOLERANCE):
            stray.append(f"第{page}页 y={y0:.0f}–{y1:.0f}（页高 {height:.0f}）：{word}")
    return stray


LONG_UNIT = "重庆市江北区城市管理局（江北区综合行政执法局）市政设施管理科"
LONG_STAGE = "立项用地规划许可阶段（含用地预审与选址意见书核发）"


@pytest.fixture
def bench_district(db):
    """The bench generator's hall at a small scale (300 projects, 3,000 matters), on a catalogue and
    staff whose names are as long as a real district's get, and a few records with the longest names."""
    today = timezone.localdate()
    stages = [StageFactory(number=n, name=(LONG_STAGE if n == 1 else f"第{n}阶段工程建设许可（并联审批）")) for n in range(1, 5)]  # fmt: skip
    units = [DepartmentFactory(name=f"{LONG_UNIT}{n}") for n in range(4)]
    for n in range(12):
        MatterFactory(
            name=f"建设工程规划许可证核发（含设计方案审查、规划条件核实）{n}",
            stage=stages[n % 4],
            unit=units[n % 4],
            time_limit_workdays=5,
        )
    people = [UserFactory(display_name=f"欧阳{n}号帮办专员", roles=[Role.SPECIALIST]) for n in range(3)]
    seed._batch(
        random.Random(17), 0, 300, today, people, list(Stage.objects.order_by("number")),
        list(Matter.objects.select_related("stage")),
    )  # fmt: skip
    longest = ProjectFactory(
        name="江北嘴中央商务区国际金融中心二期超高层综合体暨地下空间综合利用与配套市政道路管网改造工程项目",
        code="2026-500105-04-01-999999",
        builder="重庆两江新区江北嘴中央商务区投资集团有限公司（重庆市江北区城市开发建设投资有限责任公司）",
        registered_on=today - timedelta(days=10),
        specialist=people[0],
        current_stage=stages[0],
    )
    ProjectMatterFactory(
        project=longest, matter=Matter.objects.first(), status="审查中", accepted_on=today - timedelta(days=60),
        due_on=today - timedelta(days=50), time_limit_workdays=5,
    )  # fmt: skip
    Problem.objects.create(
        project=longest, stage=stages[0], owner_unit=units[0], due_on=today - timedelta(days=5), raised_by=people[0],
        description="用地红线与规划道路红线冲突，涉及三家单位意见不一致，需要召开联席会议协调。" * 4,
    )  # fmt: skip
    return today


def test_the_summary_pdf_of_the_bench_data_has_no_clipped_column(bench_district):
    require_cjk_font()
    today = bench_district
    period = Period.of(today - timedelta(days=90), today - timedelta(days=1))  # a 专报 of a quarter
    summary = build_summary(period)
    # a sizeable document: a long overdue list, new dossiers, every section filled
    assert summary.table("overdue").count > 20
    assert summary.table("new_projects").rows
    content = exports.summary_pdf(summary, maker="欧阳帮办")
    assert_cjk_fonts_embedded(content)
    words = word_boxes(content)
    assert len({page for page, *_ in words}) >= 4
    assert outside_the_margins(content) == []
    text = "".join(word for *_, word in words)
    assert "专报" in text
    assert "江北嘴中央商务区" in text  # the longest project name is printed (wrapped), not left out
    assert len(summary.table("overdue").listed) <= OVERDUE_SHOWN
