"""How fast the exchange applies the city's status rows: ``python -m projects.exchange.bench [--rows 100000]``.

Builds, in the databases named by ``DATABASE_URL`` and ``SPGL_DATABASE_URL`` (fresh ones: the command refuses
a database that already holds projects), one project per 40 status rows, each with ten matter instances of the
city's and four statuses per instance (3 受理, 6 补正开始, 7 补正结束, 11 办结), then times one exchange run:
reading the rows and applying each through the services (row lock, due date, timeline, audit, SMS queue).
Prints rows per second for the whole run and for the status rows alone."""

from __future__ import annotations

import argparse
import os
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


def _local(*parts: int) -> datetime:
    """A time as the staging tables hold it: local (Asia/Shanghai), without a zone."""
    return datetime(*parts, tzinfo=ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000, help="status rows (a multiple of 40)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from projects.exchange import staging
    from projects.exchange.inbound import Inbound
    from projects.exchange.models import ExchangeRun
    from projects.models import Matter, Project, Stage
    from qinqing.models import Department, User
    from qinqing.roles import Role, ensure_groups

    if Project.objects.exists():
        raise SystemExit("这个数据库里已有项目：请用新建的空库（DATABASE_URL、SPGL_DATABASE_URL）运行。")
    staging.drop_schema()
    staging.create_schema()
    unit, _ = Department.objects.get_or_create(name="区住房城乡建委")
    stage, _ = Stage.objects.get_or_create(number=3, defaults={"name": "施工许可阶段"})
    matters = [
        Matter.objects.create(
            stage=stage,
            name=f"测试事项{n}",
            category="行政许可",
            unit=unit,
            time_limit_workdays=10,
            spgl_code=f"BENCH-{n:02d}",
        )
        for n in range(10)
    ]
    specialist = User.objects.create(username="bench_specialist", display_name="专员", must_change_password=False)
    specialist.groups.set([ensure_groups()[Role.SPECIALIST]])
    projects = args.rows // 40
    Project.objects.bulk_create(
        Project(
            name=f"基准项目{n}",
            code=f"2601-500105-04-01-{n:06d}",
            builder="重庆基准建设有限公司",
            contact_name="张三",
            contact_phone="13800001234",
            investment_type="社会投资",
            specialist=specialist,
            registered_on=date(2026, 1, 5),
        )
        for n in range(projects)
    )
    base = _local(2026, 12, 1, 8)  # GXSJ
    days = (_local(2026, 3, 2, 9), _local(2026, 3, 3, 9), _local(2026, 3, 9, 9), _local(2026, 3, 20, 9))
    instances, statuses, seq = [], [], 0
    for n in range(projects):
        code = f"2601-500105-04-01-{n:06d}"
        for m, matter in enumerate(matters):
            case_no = f"CQ-{n:06d}-{m:02d}"
            seq += 1
            instances.append(
                {
                    "DFSJZJ": f"CQ-SX-{case_no}",
                    "XZQHDM": "500105",
                    "SJYXBS": 1,
                    "SJSCZT": 1,
                    "GXSJ": base + timedelta(microseconds=seq),
                    "GCDM": f"{code}-0001",
                    "SPJDXH": 3,
                    "SPSXBM": matter.spgl_code,
                    "SPSXSLBM": case_no,
                    "SPSXMC": matter.name,
                }
            )
            for k, (blzt, when) in enumerate(zip((3, 6, 7, 11), days, strict=True)):
                seq += 1
                statuses.append(
                    {
                        "DFSJZJ": f"CQ-ZT-{case_no}-{k}",
                        "XZQHDM": "500105",
                        "SJYXBS": 1,
                        "SJSCZT": 1,
                        "GXSJ": base + timedelta(microseconds=seq),
                        "SPSXSLBM": case_no,
                        "BLZT": blzt,
                        "BLSJ": when,
                        "BLYJ": "基准",
                        "BLR": "王审批",
                    }
                )
    staging.upsert(staging.MATTERS, instances)
    staging.upsert(staging.STATUSES, statuses)
    run = ExchangeRun.objects.create()
    inbound = Inbound(run)
    started = time.perf_counter()
    inbound.matters()
    middle = time.perf_counter()
    inbound.statuses()
    finished = time.perf_counter()
    run.save()
    status_rows = len(statuses)
    print(
        f"数据库：{os.environ.get('DATABASE_URL', 'SQLite')} / 前置库：{staging.connection().vendor}\n"
        f"办件 {len(instances)} 行：{middle - started:.1f} 秒，{len(instances) / (middle - started):.0f} 行/秒\n"
        f"办理状态 {status_rows} 行：{finished - middle:.1f} 秒，{status_rows / (finished - middle):.0f} 行/秒\n"
        f"已处理 {run.rows_applied}，拒收 {run.rows_refused}，待人工处理 {run.conflicts}"
    )


if __name__ == "__main__":
    main()
