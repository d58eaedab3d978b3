"""Existing records under the new rules: every escalation gets its 督办单 number (per year of referral, in
the order they were referred, the year's counter moved on past them) and the work plan's name of the
district supervision office (区政府督查室); every inspected unit of an existing inspection gets its own
result: 无问题 for an inspection found 合格, otherwise 发现问题 with the findings that name the unit (or all
the findings, when none names it)."""

import re

from django.db import migrations


def forwards(apps, schema_editor):
    Escalation = apps.get_model("followups", "Escalation")
    Counter = apps.get_model("qinqing", "Counter")
    Inspection = apps.get_model("followups", "Inspection")
    InspectionResult = apps.get_model("followups", "InspectionResult")
    Escalation.objects.filter(referred_to__in=["区督查办", "区督查室", "区政府督查办"]).update(referred_to="区政府督查室")
    last = {}
    for escalation in Escalation.objects.filter(serial__isnull=True).order_by("referred_on", "id"):
        year = escalation.referred_on.year
        if year not in last:
            counter, _ = Counter.objects.get_or_create(key="escalation", year=year)
            last[year] = counter.value
        last[year] += 1
        Escalation.objects.filter(pk=escalation.pk).update(year=year, serial=last[year])
    for year, value in last.items():
        Counter.objects.filter(key="escalation", year=year).update(value=value)
    for inspection in Inspection.objects.all():
        parts = [p.strip() for p in re.split(r"[；;\n]+", inspection.findings) if p.strip()]
        for unit in inspection.units.all():
            if InspectionResult.objects.filter(inspection=inspection, unit=unit).exists():
                continue
            if inspection.result == "合格":
                InspectionResult.objects.create(inspection=inspection, unit=unit, outcome="无问题", problem="")
            else:
                own = [p for p in parts if unit.name in p]
                problem = ("；".join(own) if own else inspection.findings)[:1000] or "见检查发现。"
                InspectionResult.objects.create(inspection=inspection, unit=unit, outcome="发现问题", problem=problem)


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0003_documents_results_signing"),
        ("qinqing", "0009_sms"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
