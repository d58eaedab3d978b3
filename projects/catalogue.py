"""Loading the matter catalogue from its seeds. Idempotent: what is already in the database is kept as
administrators left it.

Two seeds: ``qinqing/data/matters.csv`` (stages, matters, units, committed limits, a short material list)
and ``projects/data/reference/`` (material lists of 31 matters from other provinces' service guides and
legal limits, each row with its source). Reference materials are loaded *unverified* (待核实): a letter
lists them only once an administrator has checked them against the district's own guides, or the
specialist states that the guide was explained in person."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from projects.models import Material, Matter, MatterBundle, Stage
from qinqing import audit
from qinqing.demo import MATTERS_CSV, unit_kind
from qinqing.models import AuditEntry, Department, User
from qinqing.services import lock_for_update, versioned_update

REFERENCE_DIR = Path(__file__).resolve().parent / "data" / "reference"
SEED_SOURCE = "事项目录种子（matters.csv，未逐项核对本区办事指南）"

STAGE_NAMES = {
    1: "立项用地规划许可阶段",
    2: "工程建设许可阶段",
    3: "施工许可阶段",
    4: "竣工验收阶段",
    5: "市政公用服务（公共设施接入）",
    6: "不动产登记",
}

# Known Chongqing differences from matters.csv (public city documents 2021–2025, see the reference
# README): applied when a matter is first created, never over an administrator's edit.
CHONGQING_LIMITS = {
    # the committed and the statutory limit, in working days
    "建设工程消防设计审查": (3, 15),
    "联合验收": (7, None),
}
CHONGQING_NOTES = {
    "竣工验收备案": "重庆以“竣工联合验收意见书”取代竣工验收备案证，联合验收通过即可，一般无须另行申请。",
    "联合验收": "现场通过全部联合验收事项的，直接出具“竣工联合验收意见书”。",
}
RESULT_NAMES = {
    "建设用地规划许可证核发": "建设用地规划许可证",
    "建设工程规划许可证核发": "建设工程规划许可证",
    "建筑工程施工许可证核发": "建筑工程施工许可证",
    "建设项目用地预审与选址意见书核发": "建设项目用地预审与选址意见书",
    "建设工程消防设计审查": "特殊建设工程消防设计审查意见书",
    "建设工程消防验收": "特殊建设工程消防验收意见书",
    "联合验收": "竣工联合验收意见书",
    "不动产首次登记": "不动产权证书",
    "企业投资项目备案": "企业投资项目备案证明",
    "城镇污水排入排水管网许可": "城镇污水排入排水管网许可证",
}
BUNDLES = {
    "开工“一件事”": (
        "施工许可、质量安全监督、消防设计审查、建筑垃圾处置核准、排水许可合并为一次申请（重庆）。",
        ["建筑工程施工许可证核发", "建设工程消防设计审查", "城市建筑垃圾处置核准", "城镇污水排入排水管网许可"],
    ),
    "竣工联合验收": (
        "规划、消防、人防、档案等验收一次申请、联合现场验收，出具竣工联合验收意见书。",
        [
            "规划条件核实",
            "建设工程消防验收",
            "建设工程消防验收备案",
            "人防工程竣工验收备案",
            "城建档案验收",
            "联合验收",
        ],
    ),
}

UNKNOWN = "未知"
FORMS = {choice.value for choice in Material.Form}


@dataclass
class LoadReport:
    stages_created: int = 0
    matters_created: int = 0
    matters_kept: int = 0
    materials_created: int = 0
    bundles_created: int = 0


def _split_materials(text: str) -> list[str]:
    return [item.strip() for item in text.replace(";", "；").split("；") if item.strip()]


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return [{key: (value or "").strip() for key, value in row.items()} for row in csv.DictReader(handle)]


def _copies(text: str) -> str:
    if text in ("", UNKNOWN):
        return ""
    return f"{text}份" if text.isdigit() else text


def _workdays(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _reference_materials(directory: Path) -> dict[str, list[Material]]:
    path = directory / "materials-other-provinces.csv"
    by_matter: dict[str, list[Material]] = {}
    if not path.exists():
        return by_matter
    for row in _read(path):
        form = row["original_or_copy"]
        by_matter.setdefault(row["matter"], []).append(
            Material(
                position=int(row["material_no"])
                if row["material_no"].isdigit()
                else len(by_matter.get(row["matter"], [])) + 1,
                name=row["material"][:300],
                form=form if form in FORMS else "",
                copies=_copies(row["copies"])[:60],
                medium=Material.Medium.ELECTRONIC if form == "电子" else Material.Medium.PAPER,
                can_defer=row["can_defer"] == "是",
                commitment_ok=row["commitment_ok"] == "是",
                # the reference's note speaks of its source (what it leaves out), not to applicants
                reference=(f"{row['source']}；说明：{row['note']}" if row["note"] else row["source"])[:500],
            )
        )
    return by_matter


def _limits(directory: Path) -> dict[str, dict[str, str]]:
    path = directory / "limits-and-codes.csv"
    return {row["matter"]: row for row in _read(path)} if path.exists() else {}


@transaction.atomic
def load_catalogue(path: Path = MATTERS_CSV, reference: Path = REFERENCE_DIR) -> LoadReport:
    report = LoadReport()
    rows = _read(path)
    materials = _reference_materials(reference)
    limits = _limits(reference)
    for row in rows:
        number = int(row["stage_no"])
        stage, created = Stage.objects.get_or_create(
            number=number, defaults={"name": STAGE_NAMES.get(number, row["stage"])}
        )
        report.stages_created += created
        unit_name = row["responsible_unit"]
        unit, _ = Department.objects.get_or_create(name=unit_name, defaults={"kind": unit_kind(unit_name)})
        name = row["matter"]
        limit = int(row["time_limit_workdays"])
        text = row["materials_or_note"]
        by_contract = limit == 0
        committed, statutory = CHONGQING_LIMITS.get(name, (limit, None))
        legal = _workdays(limits.get(name, {}).get("legal_limit_workdays", ""))
        if statutory is None and legal is not None and legal > committed:
            statutory = legal
        modes = limits.get(name, {}).get("modes", "")
        matter, created = Matter.objects.get_or_create(
            stage=stage,
            name=name,
            defaults={
                "category": row["category"],
                "unit": unit,
                "time_limit_workdays": committed,
                "statutory_limit_workdays": statutory,
                "note": (text if by_contract else CHONGQING_NOTES.get(name, ""))[:200],
                "handling": Matter.Handling.IMMEDIATE if "即办件" in modes else Matter.Handling.PROMISED,
                "channel": "网上办理" if modes == "网上备案" else "窗口办理或网上办理",
                "fees": "按合同约定" if by_contract else "不收费",
                "result_name": RESULT_NAMES.get(name, ""),
            },
        )
        if created:
            report.matters_created += 1
        else:
            report.matters_kept += 1
        # materials only for a matter that has none yet: an administrator's list is never added to
        if not matter.materials.exists():
            items = materials.get(name) or [
                Material(position=i, name=item[:300], reference=SEED_SOURCE)
                for i, item in enumerate([] if by_contract else _split_materials(text), start=1)
            ]
            for item in items:
                item.matter = matter
                item.pk = None
            Material.objects.bulk_create(items)
            report.materials_created += len(items)
    for bundle_name, (description, names) in BUNDLES.items():
        bundle, created = MatterBundle.objects.get_or_create(name=bundle_name, defaults={"description": description})
        if created:
            bundle.matters.set(Matter.objects.filter(name__in=names))
            report.bundles_created += 1
    return report


# ---------------------------------------------------------------------------------------------
# An administrator's writes: matters, their materials, bundles. Each is audited (old → new) and kept in
# the model's history; a stale form is refused with who changed what since.

MATTER_FIELDS = (
    "stage",
    "name",
    "category",
    "unit",
    "time_limit_workdays",
    "statutory_limit_workdays",
    "handling",
    "channel",
    "fees",
    "office_address",
    "office_hours",
    "enquiry_phone",
    "complaint_phone",
    "result_name",
    "standard_code",
    "spgl_code",
    "spgl_version",
    "note",
    "allows_commitment",
    "allows_deficiency",
    "allows_parallel",
    "is_active",
    "retired_reason",
)


def matter_snapshot(matter: Matter) -> dict:
    return {
        "阶段": matter.stage.name,
        "事项名称": matter.name,
        "事项类别": matter.category,
        "责任单位": matter.unit.name,
        "承诺时限": matter.time_limit_workdays,
        "法定时限": matter.statutory_limit_workdays,
        "办件类型": matter.handling,
        "办理渠道": matter.channel,
        "收费标准": matter.fees,
        "办理地点": matter.office_address,
        "办公时间": matter.office_hours,
        "咨询电话": matter.enquiry_phone,
        "投诉电话": matter.complaint_phone,
        "审批结果": matter.result_name,
        "标准编码": matter.standard_code,
        "市系统事项编码": matter.spgl_code,
        "事项版本号": matter.spgl_version,
        "说明": matter.note,
        "告知承诺": matter.allows_commitment,
        "容缺受理": matter.allows_deficiency,
        "并联审批": matter.allows_parallel,
        "在用": matter.is_active,
        "停用原因": matter.retired_reason,
    }


def _check_matter(*, stage: Stage, name: str, is_active: bool, retired_reason: str, exclude_pk=None) -> None:
    if Matter.objects.filter(stage=stage, name=name).exclude(pk=exclude_pk).exists():
        raise ValidationError(f"{stage.name}已有名为“{name}”的事项。", code="duplicate_matter")
    if not is_active and not retired_reason.strip():
        raise ValidationError("停用事项须写明停用原因（如：已并入其他事项、已取消）。", code="reason_required")


@transaction.atomic
def matter_create(*, actor: User, request: HttpRequest | None, **fields) -> Matter:
    unknown = set(fields) - set(MATTER_FIELDS)
    if unknown:
        raise TypeError(f"unknown matter fields: {sorted(unknown)}")
    fields.setdefault("is_active", True)
    fields.setdefault("retired_reason", "")
    _check_matter(
        stage=fields["stage"],
        name=fields["name"],
        is_active=fields["is_active"],
        retired_reason=fields["retired_reason"],
    )
    matter = Matter(**fields)
    matter._change_reason = "新增事项"
    matter._history_user = actor
    matter.save()
    audit.record(
        action=AuditEntry.Action.CREATE, actor=actor, request=request, obj=matter, after=matter_snapshot(matter)
    )
    return matter


@transaction.atomic
def matter_update(
    *, actor: User, request: HttpRequest | None, matter_id: int, version: int, reason: str = "", **fields
) -> Matter:
    """Correct a catalogue matter, move it to another stage or retire it; refused if stale. Project
    matters already on projects keep the limit they were accepted with."""
    unknown = set(fields) - set(MATTER_FIELDS)
    if unknown:
        raise TypeError(f"unknown matter fields: {sorted(unknown)}")
    current = Matter.objects.select_related("stage").get(pk=matter_id)
    stage = fields.get("stage", current.stage)
    is_active = fields.get("is_active", current.is_active)
    if is_active:
        fields["retired_reason"] = ""
    _check_matter(
        stage=stage,
        name=fields.get("name", current.name),
        is_active=is_active,
        retired_reason=fields.get("retired_reason", current.retired_reason),
        exclude_pk=matter_id,
    )
    notes = []
    if stage.pk != current.stage_id:
        notes.append(f"由{current.stage.name}调整到{stage.name}")
    if current.is_active and not is_active:
        notes.append(f"停用：{fields['retired_reason']}")
    elif not current.is_active and is_active:
        notes.append("恢复在用")
    if reason.strip():
        notes.append(reason.strip())
    return versioned_update(
        model=Matter,
        pk=matter_id,
        version=version,
        changes=fields,
        snapshot=matter_snapshot,
        actor=actor,
        request=request,
        reason="修改事项目录" + ("：" + "；".join(notes) if notes else ""),
    )


MATERIAL_FIELDS = (
    "position",
    "name",
    "form",
    "copies",
    "medium",
    "source",
    "issuer",
    "required",
    "condition",
    "can_defer",
    "commitment_ok",
    "note",
    "reference",
    "is_active",
)


def material_snapshot(material: Material) -> dict:
    return {
        "序号": material.position,
        "材料名称": material.name,
        "原件/复印件": material.form or "未注明",
        "份数": material.copies,
        "载体": material.medium,
        "来源": material.source,
        "出具单位": material.issuer,
        "必要": "是" if material.required else f"按情形：{material.condition}",
        "可容缺": material.can_defer,
        "可告知承诺替代": material.commitment_ok,
        "样表": material.template_file.name if material.template_file else "",
        "备注": material.note,
        "资料来源": material.reference,
        "核实": "已核实" if material.verified else "待核实",
        "在用": material.is_active,
    }


def _check_material(fields: dict) -> None:
    if not fields.get("required", True) and not fields.get("condition", "").strip():
        raise ValidationError("按情形提交的材料须写明提交情形（如：外商投资项目）。", code="condition_required")
    if (
        fields.get("source") in (Material.Source.DEPARTMENT, Material.Source.SHARED)
        and not fields.get("issuer", "").strip()
    ):
        raise ValidationError("部门核发或数据共享的材料须写明出具单位。", code="issuer_required")


def _verify(material: Material, actor: User, verified: bool) -> None:
    if verified and not material.verified:
        material.verified, material.verified_by, material.verified_at = True, actor, timezone.now()
    elif not verified:
        material.verified, material.verified_by, material.verified_at = False, None, None


@transaction.atomic
def material_create(
    *, actor: User, request: HttpRequest | None, matter_id: int, verified: bool = False, template_file=None, **fields
) -> Material:
    unknown = set(fields) - set(MATERIAL_FIELDS)
    if unknown:
        raise TypeError(f"unknown material fields: {sorted(unknown)}")
    _check_material(fields)
    matter = lock_for_update(Matter, matter_id)
    if "position" not in fields or not fields["position"]:
        fields["position"] = (
            matter.materials.order_by("-position").values_list("position", flat=True).first() or 0
        ) + 1
    material = Material(matter=matter, **fields)
    if template_file:
        material.template_file = template_file
    _verify(material, actor, verified)
    material._change_reason = "新增申请材料"
    material._history_user = actor
    material.save()
    audit.record(
        action=AuditEntry.Action.CREATE,
        actor=actor,
        request=request,
        obj=material,
        after=material_snapshot(material),
        detail=f"事项：{matter.name}",
    )
    return material


@transaction.atomic
def material_update(
    *,
    actor: User,
    request: HttpRequest | None,
    material_id: int,
    version: int,
    verified: bool = False,
    template_file=None,
    remove_template: bool = False,
    **fields,
) -> Material:
    unknown = set(fields) - set(MATERIAL_FIELDS)
    if unknown:
        raise TypeError(f"unknown material fields: {sorted(unknown)}")
    _check_material(fields)
    material = lock_for_update(Material, material_id, version=version)
    before = material_snapshot(material)
    for field, value in fields.items():
        setattr(material, field, value)
    if template_file:
        material.template_file = template_file
    elif remove_template:
        material.template_file = ""
    _verify(material, actor, verified)
    material.version += 1
    material._change_reason = "修改申请材料"
    material._history_user = actor
    material.save()
    audit.record_changes(
        action=AuditEntry.Action.UPDATE,
        actor=actor,
        request=request,
        obj=material,
        before=before,
        after=material_snapshot(material),
    )
    return material


@transaction.atomic
def materials_verify(*, actor: User, request: HttpRequest | None, matter_id: int, material_ids: list[int]) -> int:
    """An administrator confirms materials against the district's own guide: they may go on letters."""
    lock_for_update(Matter, matter_id)
    count = 0
    for material in Material.objects.select_for_update().filter(
        matter_id=matter_id, pk__in=material_ids, verified=False
    ):
        _verify(material, actor, True)
        material.version += 1
        material._change_reason = "核实申请材料"
        material._history_user = actor
        material.save()
        count += 1
    if count:
        matter = Matter.objects.get(pk=matter_id)
        audit.record(
            action=AuditEntry.Action.UPDATE,
            actor=actor,
            request=request,
            obj=matter,
            detail=f"核实申请材料 {count} 项",
        )
    return count


@transaction.atomic
def bundle_update(
    *,
    actor: User,
    request: HttpRequest | None,
    bundle_id: int | None,
    version: int | None,
    name: str,
    description: str,
    matters: list[Matter],
    is_active: bool = True,
) -> MatterBundle:
    if len(matters) < 2:
        raise ValidationError("集成办理至少包含两个事项。", code="too_few")
    if MatterBundle.objects.filter(name=name).exclude(pk=bundle_id).exists():
        raise ValidationError(f"已有名为“{name}”的集成办理事项。", code="duplicate_bundle")

    def snap(bundle: MatterBundle) -> dict:
        return {
            "名称": bundle.name,
            "说明": bundle.description,
            "在用": bundle.is_active,
            "事项": sorted(m.name for m in bundle.matters.all()),
        }

    if bundle_id is None:
        bundle = MatterBundle(name=name, description=description, is_active=is_active)
        bundle._history_user = actor
        bundle.save()
        bundle.matters.set(matters)
        audit.record(action=AuditEntry.Action.CREATE, actor=actor, request=request, obj=bundle, after=snap(bundle))
        return bundle
    bundle = lock_for_update(MatterBundle, bundle_id, version=version)
    before = snap(bundle)
    bundle.name, bundle.description, bundle.is_active = name, description, is_active
    bundle.version += 1
    bundle._history_user = actor
    bundle._change_reason = "修改集成办理事项"
    bundle.save()
    bundle.matters.set(matters)
    audit.record_changes(
        action=AuditEntry.Action.UPDATE, actor=actor, request=request, obj=bundle, before=before, after=snap(bundle)
    )
    return bundle
