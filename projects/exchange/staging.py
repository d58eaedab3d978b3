"""The city's staging database (前置库): its SPGL tables, read and written with plain SQL on the ``spgl`` alias.

The tables belong to the city. No migration runs on the alias (``StagingRouter``); ``create_schema`` builds a
copy of them for ``make run`` and the tests (``manage.py spgl_staging``). The same SQL runs on PostgreSQL and
SQLite: identifiers are written in capitals without quotes, which PostgreSQL folds to lower case as the
city's own DDL would, and upserts use ``ON CONFLICT (DFSJZJ)``.

Every row carries the control columns of the standard (``CONTROL``): LSH (sequence), DFSJZJ (the key of the
system that wrote the row, which upserts follow), XZQHDM, SJYXBS (1 valid, 0 void) and SJWXYY, SJSCZT (0 new,
1 taken by the city, -1 refused) with SBYY (why), GXSJ (last change). Rows written by the hall carry DFSJZJ
beginning with ``LOCAL_PREFIX``; every other row is the city's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import connections
from django.utils import timezone

ALIAS = "spgl"
LOCAL_PREFIX = "JBQQ-"


class StagingRouter:
    """No migration on the staging alias: its tables are the city's."""

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == ALIAS:
            return False
        return None


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: tuple[tuple[str, str], ...]  # (column, type: text:N / int / num / date / time)


CONTROL: tuple[tuple[str, str], ...] = (
    ("DFSJZJ", "text:64"),
    ("XZQHDM", "text:12"),
    ("SJYXBS", "int"),
    ("SJWXYY", "text:200"),
    ("SJSCZT", "int"),
    ("SBYY", "text:500"),
    ("GXSJ", "time"),
)

PROJECTS = Table(
    "SPGL_XMJBXXB",
    "项目基本信息",
    (
        ("XMDM", "text:30"),
        ("GCDM", "text:40"),
        ("XMMC", "text:200"),
        ("JSDW", "text:200"),
        ("JSDWDM", "text:18"),
        ("ZTZE", "num"),
        ("JSDD", "text:300"),
        ("LXLX", "int"),
        ("XMTZLY", "int"),
    ),
)
UNITS = Table(
    "SPGL_XMDWXXB",
    "项目单位信息",
    (("GCDM", "text:40"), ("DWMC", "text:200"), ("DWTYSHXYDM", "text:18"), ("DWLX", "int")),
)
MATTERS = Table(
    "SPGL_XMSPSXBLXXB",
    "项目审批事项办理信息",
    (
        ("GCDM", "text:40"),
        ("SPJDXH", "int"),
        ("SPSXBM", "text:50"),
        ("SPSXBBH", "text:10"),
        ("DYBZSPSXBM", "text:50"),
        ("SPSXMC", "text:200"),
        ("SPSXSLBM", "text:60"),
        ("SPBMBM", "text:30"),
        ("SPBMMC", "text:100"),
        ("SLFS", "int"),
        ("SLSJ", "time"),
        ("BLSPSLBM", "text:60"),
    ),
)
STATUSES = Table(
    "SPGL_XMSPSXBLXXXXB",
    "项目审批事项办理详细信息",
    (
        ("SPSXSLBM", "text:60"),
        ("BLCS", "text:100"),
        ("BLR", "text:50"),
        ("BLZT", "int"),
        ("BLYJ", "text:500"),
        ("BLSJ", "time"),
    ),
)
DOCUMENTS = Table(
    "SPGL_XMSPSXPFWJXXB",
    "项目审批事项批复文件信息",
    (
        ("SPSXSLBM", "text:60"),
        ("PFRQ", "date"),
        ("PFWH", "text:100"),
        ("PFWJBT", "text:200"),
        ("PFWJYXQX", "date"),
    ),
)
TABLES = (PROJECTS, UNITS, MATTERS, STATUSES, DOCUMENTS)

# what each column means, for the people reading a row on the exchange inbox
LABELS = {
    "LSH": "流水号",
    "DFSJZJ": "地方数据主键",
    "XZQHDM": "行政区划代码",
    "SJYXBS": "数据有效标识",
    "SJWXYY": "数据无效原因",
    "SJSCZT": "数据上传状态",
    "SBYY": "失败原因",
    "GXSJ": "更新时间",
    "XMDM": "项目代码",
    "GCDM": "工程代码",
    "XMMC": "项目名称",
    "JSDW": "建设单位",
    "JSDWDM": "建设单位代码",
    "ZTZE": "总投资（万元）",
    "JSDD": "建设地点",
    "LXLX": "立项类型",
    "XMTZLY": "投资来源",
    "DWMC": "单位名称",
    "DWTYSHXYDM": "统一社会信用代码",
    "DWLX": "单位类型",
    "SPJDXH": "审批阶段",
    "SPSXBM": "审批事项编码",
    "SPSXBBH": "事项版本号",
    "DYBZSPSXBM": "对应标准事项编码",
    "SPSXMC": "审批事项名称",
    "SPSXSLBM": "办件编号",
    "SPBMBM": "审批部门编码",
    "SPBMMC": "审批部门",
    "SLFS": "受理方式",
    "SLSJ": "受理时间",
    "BLSPSLBM": "并联审批实例编码",
    "BLCS": "办理处室",
    "BLR": "办理人",
    "BLZT": "办理状态",
    "BLYJ": "办理意见",
    "BLSJ": "办理时间",
    "PFRQ": "批复日期",
    "PFWH": "批复文号",
    "PFWJBT": "批复文件标题",
    "PFWJYXQX": "批复文件有效期限",
}


def connection():
    return connections[ALIAS]


def to_staging(value: datetime | None) -> datetime | None:
    """An aware time as the staging tables hold times: local (Asia/Shanghai) time without a zone."""
    return timezone.localtime(value).replace(tzinfo=None) if value is not None else None


def from_staging(value) -> datetime | None:
    """A staging time (local time without a zone, as the city writes it) as an aware datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _type(kind: str, vendor: str) -> str:
    if kind.startswith("text:"):
        return f"VARCHAR({kind[5:]})"
    return {
        "int": "INTEGER",
        "num": "NUMERIC(16, 4)",
        "date": "DATE",
        "time": "TIMESTAMP" if vendor == "postgresql" else "DATETIME",
    }[kind]


def create_schema() -> list[str]:
    """Create the SPGL tables that are missing (a copy for development and tests); returns their names."""
    conn = connection()
    vendor = conn.vendor
    existing = {name.upper() for name in conn.introspection.table_names()}
    made = []
    serial = "BIGSERIAL PRIMARY KEY" if vendor == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
    with conn.cursor() as cursor:
        for table in TABLES:
            if table.name in existing:
                continue
            columns = [f"LSH {serial}"]
            for name, kind in table.columns + CONTROL:
                columns.append(f"{name} {_type(kind, vendor)}" + (" NOT NULL" if name == "DFSJZJ" else ""))
            cursor.execute(f"CREATE TABLE {table.name} ({', '.join(columns)})")
            cursor.execute(f"CREATE UNIQUE INDEX {table.name}_DFSJZJ ON {table.name} (DFSJZJ)")
            cursor.execute(f"CREATE INDEX {table.name}_GXSJ ON {table.name} (GXSJ, LSH)")
            made.append(table.name)
    return made


def drop_schema() -> None:
    conn = connection()
    existing = {name.upper() for name in conn.introspection.table_names()}
    with conn.cursor() as cursor:
        for table in TABLES:
            if table.name in existing:
                cursor.execute(f"DROP TABLE {table.name}")


def _names(table: Table) -> list[str]:
    return ["LSH"] + [name for name, _ in table.columns + CONTROL]


def read_since(
    table: Table, *, after: datetime | None, after_lsh: int, city: bool, batch: int = 2000
) -> Iterator[dict]:
    """The rows changed after (GXSJ, LSH), oldest first, in batches: the city's rows (``city``) or the
    hall's own. ``after`` is aware; the rows' times are as stored (local, without a zone)."""
    conn = connection()
    names = _names(table)
    own = "NOT LIKE" if city else "LIKE"
    last_time, last_lsh = to_staging(after), after_lsh
    while True:
        sql = f"SELECT {', '.join(names)} FROM {table.name} WHERE DFSJZJ {own} %s"  # noqa: S608 -- names are constants
        params: list = [LOCAL_PREFIX + "%"]
        if last_time is not None:
            sql += " AND (GXSJ > %s OR (GXSJ = %s AND LSH > %s))"
            params += [last_time, last_time, last_lsh]
        sql += f" ORDER BY GXSJ, LSH LIMIT {int(batch)}"
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
        if not rows:
            return
        yield from rows
        last_time, last_lsh = rows[-1]["GXSJ"], rows[-1]["LSH"]
        if len(rows) < batch:
            return


def upsert(table: Table, rows: Iterable[dict], *, batch: int = 1000) -> int:
    """Insert or update rows by DFSJZJ; every column of the table not given is left NULL on insert."""
    conn = connection()
    names = [name for name, _ in table.columns + CONTROL]
    updates = ", ".join(f"{name} = excluded.{name}" for name in names if name != "DFSJZJ")
    values = ", ".join(["%s"] * len(names))
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({values}) ON CONFLICT (DFSJZJ) DO UPDATE SET {updates}"  # noqa: S608,E501
    )
    count = 0
    chunk: list[list] = []
    with conn.cursor() as cursor:
        for row in rows:
            chunk.append([row.get(name) for name in names])
            if len(chunk) >= batch:
                cursor.executemany(sql, chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
            count += len(chunk)
    return count


def rows(table: Table, where: str = "", params: Iterable = ()) -> list[dict]:
    """Rows of a table in sequence order; ``where`` is SQL written in this code base, values go in ``params``."""
    names = _names(table)
    sql = f"SELECT {', '.join(names)} FROM {table.name}" + (f" WHERE {where}" if where else "")  # noqa: S608
    with connection().cursor() as cursor:
        cursor.execute(sql + " ORDER BY LSH", list(params))
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
