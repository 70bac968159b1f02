"""Writes of the tags: groups and tags (versioned, audited), the daily rule evaluation
(pipeline step 5) and manual tagging of one customer or a pasted/uploaded list. The caller
owns the transaction; every write is logged (operation log and TagHistory)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from liuyou.core import audit, pii
from liuyou.features.models import CustomerFeature, FeatureBuild
from liuyou.tags import entries as entries_mod
from liuyou.tags import rules, selectors
from liuyou.tags.models import (
    CustomerTag,
    GroupKind,
    HistoryAction,
    Tag,
    TagEvaluation,
    TagGroup,
    TagHistory,
    TagKind,
    TagSource,
    TagVersion,
)

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
CODE_HINT = "编码须以小写字母开头，只含小写字母、数字和下划线，最多 32 位"
CHUNK = 2000


# --- groups and tags -------------------------------------------------------------------------


def _check_code(code: str, model: type[TagGroup] | type[Tag], exclude: int | None = None) -> str:
    code = (code or "").strip()
    if not CODE_RE.match(code):
        raise ValidationError({"code": CODE_HINT})
    qs = model.objects.filter(code=code)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    if qs.exists():
        raise ValidationError({"code": f"编码 {code} 已被使用"})
    return code


def _check_name(name: str, limit: int = 40) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "请填写名称"})
    if len(name) > limit:
        raise ValidationError({"name": f"名称最多 {limit} 个字"})
    return name


def create_group(*, user: Any, code: str, name: str, sort_order: int = 100) -> TagGroup:
    """A custom tag group (the four built-in groups come with the installation)."""
    code = _check_code(code, TagGroup)
    name = _check_name(name)
    if TagGroup.objects.filter(name=name).exists():
        raise ValidationError({"name": f"已有名为“{name}”的标签组"})
    group = TagGroup.objects.create(code=code, name=name, kind=GroupKind.CUSTOM, sort_order=sort_order)
    audit.record(action="tags.group.create", user=user, obj=group, after=audit.snapshot(group))
    return group


def update_group(*, user: Any, group: TagGroup, name: str, sort_order: int) -> TagGroup:
    name = _check_name(name)
    if TagGroup.objects.filter(name=name).exclude(pk=group.pk).exists():
        raise ValidationError({"name": f"已有名为“{name}”的标签组"})
    before = audit.snapshot(group, ["name", "sort_order"])
    group.name, group.sort_order = name, sort_order
    group.save(update_fields=["name", "sort_order"])
    b, a = audit.diff(before, audit.snapshot(group, ["name", "sort_order"]))
    if a:
        audit.record(action="tags.group.update", user=user, obj=group, before=b, after=a)
    return group


def _state(tag: Tag) -> dict[str, Any]:
    return {
        "group": tag.group.name,
        "name": tag.name,
        "description": tag.description,
        "rule": tag.rule,
        "is_active": tag.is_active,
        "version": tag.version,
    }


def _version(tag: Tag, user: Any, note: str) -> TagVersion:
    return TagVersion.objects.create(
        tag=tag,
        version=tag.version,
        name=tag.name,
        description=tag.description,
        group_name=tag.group.name,
        rule=tag.rule,
        is_active=tag.is_active,
        note=note[:200],
        changed_by=user,
    )


def _clean_rule(kind: str, rule: Any) -> dict[str, Any] | None:
    if kind == TagKind.RULE:
        return rules.validate(rule)
    if rule:
        raise ValidationError({"rule": "手工标签不设规则"})
    return None


def create_tag(
    *,
    user: Any,
    group: TagGroup,
    code: str,
    name: str,
    kind: str,
    description: str = "",
    rule: Any = None,
    is_active: bool = True,
    note: str = "",
) -> Tag:
    """A new tag (version 1). A rule tag's rule is validated; it is evaluated by the next
    pipeline run, or at once with `evaluate` by the caller."""
    if kind not in TagKind.values:
        raise ValidationError({"kind": "标签类型只能是手工标签或规则标签"})
    code = _check_code(code, Tag)
    name = _check_name(name)
    if Tag.objects.filter(group=group, name=name).exists():
        raise ValidationError({"name": f"“{group.name}”组已有名为“{name}”的标签"})
    cleaned = _clean_rule(kind, rule)
    tag = Tag.objects.create(
        group=group,
        code=code,
        name=name,
        description=(description or "").strip()[:200],
        kind=kind,
        rule=cleaned,
        is_active=is_active,
        version=1,
    )
    _version(tag, user, note or "新建")
    audit.record(
        action="tags.tag.create", user=user, obj=tag, after={**_state(tag), "code": code, "kind": kind}
    )
    return tag


def update_tag(
    *,
    user: Any,
    tag: Tag,
    group: TagGroup,
    name: str,
    description: str = "",
    rule: Any = None,
    is_active: bool = True,
    note: str = "",
) -> Tag:
    """A changed tag: validated, stored as the next version, audited with before and after.
    Its kind and code do not change. Nothing changed: no new version."""
    name = _check_name(name)
    if Tag.objects.filter(group=group, name=name).exclude(pk=tag.pk).exists():
        raise ValidationError({"name": f"“{group.name}”组已有名为“{name}”的标签"})
    cleaned = _clean_rule(tag.kind, rule)
    before = _state(tag)
    description = (description or "").strip()[:200]
    if (tag.group_id, tag.name, tag.description, tag.rule, tag.is_active) == (
        group.pk,
        name,
        description,
        cleaned,
        is_active,
    ):
        return tag
    tag.group, tag.name, tag.description, tag.rule, tag.is_active = (
        group,
        name,
        description,
        cleaned,
        is_active,
    )
    tag.version += 1
    tag.save()
    _version(tag, user, note)
    b, a = audit.diff(before, _state(tag))
    audit.record(action="tags.tag.update", user=user, obj=tag, before=b, after={**(a or {}), "note": note})
    return tag


# --- set-based statements ----------------------------------------------------------------------


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def _insert_from(model: Any, columns: list[str], consts: list[Any], source: QuerySet[Any]) -> int:
    """INSERT INTO model (customer_id, *columns) SELECT s.customer_id, *consts FROM (source) s:
    one statement, whatever the number of customers. `source` selects `customer_id`."""
    sql, params = source.query.sql_with_params()
    names = ", ".join(_qn(model._meta.get_field(c).column) for c in ["customer", *columns])
    marks = ", ".join(["%s"] * len(consts))
    statement = (
        f"INSERT INTO {_qn(model._meta.db_table)} ({names}) "  # noqa: S608 - identifiers from model metadata
        f"SELECT s.{_qn('customer_id')}, {marks} FROM ({sql}) s"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*consts, *params])
        return max(cursor.rowcount, 0)


def _dt(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _d(value: date | None) -> Any:
    return connection.ops.adapt_datefield_value(value)


@dataclass
class Evaluation:
    tag: Tag
    matched: int
    added: int
    removed: int
    total: int


def evaluate(*, tag: Tag, data_date: date, now: datetime | None = None) -> Evaluation:
    """Bring one rule tag in line with the feature rows of `data_date`: customers matching the
    rule and not holding the tag get it (source rule), rule-sourced holders no longer
    matching lose it; manual holders are left alone. Both sides are set-based statements and
    write their TagHistory rows the same way. Running it again for the date changes nothing."""
    if tag.kind != TagKind.RULE or not tag.rule:
        raise ValueError(f"“{tag.name}”不是规则标签")
    rule = rules.validate(tag.rule)
    now = now or timezone.now()
    matching = CustomerFeature.objects.filter(data_date=data_date).filter(rules.compile_q(rule))
    note = f"规则 v{tag.version}：{rules.describe(rule)}"[:200]

    gone = (
        CustomerTag.objects.filter(tag=tag, source=TagSource.RULE)
        .filter(~Exists(matching.filter(customer_id=OuterRef("customer_id"))))
        .order_by()
    )
    removed = _insert_from(
        TagHistory,
        ["tag", "action", "source", "at", "data_date", "note"],
        [tag.pk, HistoryAction.REMOVED.value, TagSource.RULE.value, _dt(now), _d(data_date), note],
        gone.values("customer_id"),
    )
    if removed:
        gone.delete()  # one DELETE ... WHERE NOT EXISTS: nothing refers to a CustomerTag row

    new = (
        matching.filter(~Exists(CustomerTag.objects.filter(tag=tag, customer_id=OuterRef("customer_id"))))
        .order_by()
        .values("customer_id")
    )
    added = _insert_from(
        TagHistory,
        ["tag", "action", "source", "at", "data_date", "note"],
        [tag.pk, HistoryAction.ADDED.value, TagSource.RULE.value, _dt(now), _d(data_date), note],
        new,
    )
    if added:
        _insert_from(
            CustomerTag,
            ["tag", "source", "since", "data_date"],
            [tag.pk, TagSource.RULE.value, _dt(now), _d(data_date)],
            new,
        )
    matched = matching.count()
    total = CustomerTag.objects.filter(tag=tag).count()
    row, created = TagEvaluation.objects.get_or_create(
        tag=tag,
        data_date=data_date,
        defaults={
            "version": tag.version,
            "matched": matched,
            "added": added,
            "removed": removed,
            "total": total,
        },
    )
    if not created:
        row.version, row.matched, row.total = tag.version, matched, total
        row.added += added
        row.removed += removed
        row.save()
    return Evaluation(tag, matched, added, removed, total)


def tag_step(*, data_date: date) -> Any:
    """Daily pipeline step 5 (规则标签): evaluate every active rule tag on the date's feature rows."""
    from liuyou.pipeline.types import StepResult

    started = time.perf_counter()
    if not FeatureBuild.objects.filter(data_date=data_date).exists():
        raise ValueError(f"{data_date:%Y-%m-%d} 的客户宽表尚未生成，请先运行日终批处理（liuyou daily）")
    now = timezone.now()
    per_tag: dict[str, dict[str, int]] = {}
    errors: dict[str, str] = {}
    added = removed = 0
    for tag in Tag.objects.filter(kind=TagKind.RULE, is_active=True).select_related("group").order_by("pk"):
        try:
            result = evaluate(tag=tag, data_date=data_date, now=now)
        except ValidationError as exc:
            errors[tag.code] = "；".join(exc.messages)
            continue
        per_tag[tag.code] = {"added": result.added, "removed": result.removed, "total": result.total}
        added += result.added
        removed += result.removed
    details: dict[str, Any] = {
        "tags": len(per_tag),
        "added": added,
        "removed": removed,
        "per_tag": per_tag,
        "seconds": round(time.perf_counter() - started, 3),
    }
    if errors:
        details["errors"] = errors
    return StepResult(rows=added + removed, details=details)


# --- manual tags -------------------------------------------------------------------------------


def _usable(tag: Tag) -> None:
    if not tag.is_active:
        raise ValidationError({"tag": f"标签“{tag.name}”已停用，不能再打标签"})


def add_manual(*, user: Any, customer: Any, tag: Tag, note: str = "") -> str:
    """Put `tag` on one customer by hand. Returns "added", "converted" (the customer held it by
    rule: it becomes a manual tag, which the rule evaluation no longer takes off) or
    "already". The caller has checked the customer lies in the user's tag:assign scope."""
    _usable(tag)
    now = timezone.now()
    row = CustomerTag.objects.filter(customer=customer, tag=tag).first()
    if row is not None and row.source == TagSource.MANUAL:
        return "already"
    outcome = "added"
    if row is None:
        CustomerTag.objects.create(customer=customer, tag=tag, source=TagSource.MANUAL, since=now, by=user)
    else:
        outcome = "converted"
        row.source, row.by = TagSource.MANUAL, user
        row.save(update_fields=["source", "by"])
    text = "由规则标签转为手工标签" if outcome == "converted" else ""
    TagHistory.objects.create(
        customer=customer,
        tag=tag,
        action=HistoryAction.ADDED,
        source=TagSource.MANUAL,
        at=now,
        by=user,
        note="；".join(p for p in (text, note.strip()) if p)[:200],
    )
    audit.record(
        action="tags.customer.add",
        user=user,
        object_type="customers.customer",
        object_id=str(customer.pk),
        object_repr=str(customer),
        after={"tag": tag.code, "tag_name": tag.name, "outcome": outcome, "note": note},
    )
    return outcome


def remove_manual(*, user: Any, customer: Any, tag: Tag, note: str = "") -> str:
    """Take a manual tag off one customer: "removed", "rule" (held by rule: the daily
    evaluation decides, nothing removed) or "absent"."""
    row = CustomerTag.objects.filter(customer=customer, tag=tag).first()
    if row is None:
        return "absent"
    if row.source == TagSource.RULE:
        return "rule"
    row.delete()
    TagHistory.objects.create(
        customer=customer,
        tag=tag,
        action=HistoryAction.REMOVED,
        source=TagSource.MANUAL,
        at=timezone.now(),
        by=user,
        note=note.strip()[:200],
    )
    audit.record(
        action="tags.customer.remove",
        user=user,
        object_type="customers.customer",
        object_id=str(customer.pk),
        object_repr=str(customer),
        before={"tag": tag.code, "tag_name": tag.name},
        after={"note": note},
    )
    return "removed"


@dataclass
class BulkReport:
    action: str  # add | remove
    kind: str  # customer_no | id_no
    tag: Tag
    entries: int = 0  # distinct entries submitted
    duplicates: int = 0
    matched: int = 0  # customers found in scope
    added: int = 0
    converted: int = 0  # held by rule, now manual
    already: int = 0
    removed: int = 0
    not_had: int = 0
    rule_kept: int = 0  # held by rule: not removed by hand
    unknown: list[str] = field(default_factory=list)  # as shown: ID numbers masked

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "kind": self.kind,
            "tag": self.tag.code,
            "entries": self.entries,
            "duplicates": self.duplicates,
            "matched": self.matched,
            "added": self.added,
            "converted": self.converted,
            "already": self.already,
            "removed": self.removed,
            "not_had": self.not_had,
            "rule_kept": self.rule_kept,
            "unknown_count": len(self.unknown),
            "unknown": self.unknown,
        }


def _chunks(items: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def bulk_tag(
    *, user: Any, tag: Tag, entries: list[str], kind: str, action: str = "add", note: str = ""
) -> BulkReport:
    """Put `tag` on (or take a manual `tag` off) the customers named by a list of customer
    numbers (aliases too) or ID numbers (through the HMAC index). Customers outside the user's
    tag:assign scope are reported as unknown, exactly like numbers that do not exist.
    At most entries.MAX_ENTRIES entries. Logged once in the operation log (counts only, no ID
    numbers) and per customer in TagHistory."""
    if kind not in ("customer_no", "id_no"):
        raise ValidationError({"kind": "名单类型只能是客户号或证件号码"})
    if action not in ("add", "remove"):
        raise ValidationError({"action": "操作只能是添加或移除"})
    if action == "add":
        _usable(tag)
    raw = [e.strip() for e in entries if e and str(e).strip()]
    if kind == "id_no":
        raw = [pii.normalize(e) for e in raw]
    distinct = entries_mod.dedupe(raw)
    try:
        entries_mod.check_size(distinct)
    except entries_mod.EntriesError as exc:
        raise ValidationError({"entries": str(exc)}) from None
    if not distinct:
        raise ValidationError({"entries": "请至少填写一个客户号或证件号码"})
    found, unknown = selectors.resolve_entries(user=user, entries=distinct, kind=kind)
    report = BulkReport(action=action, kind=kind, tag=tag, entries=len(distinct))
    report.duplicates = len(raw) - len(distinct)
    report.unknown = [pii.mask(e, "id") for e in unknown] if kind == "id_no" else unknown
    ids = sorted(set().union(*found.values())) if found else []
    report.matched = len(ids)
    now = timezone.now()
    history: list[TagHistory] = []
    existing: dict[int, str] = {}
    for part in _chunks(ids):
        existing.update(
            CustomerTag.objects.filter(tag=tag, customer_id__in=part).values_list("customer_id", "source")
        )
    text = note.strip()[:200]
    if action == "add":
        new = [i for i in ids if i not in existing]
        rule_held = [i for i, s in existing.items() if s == TagSource.RULE]
        report.added, report.converted = len(new), len(rule_held)
        report.already = len(existing) - len(rule_held)
        CustomerTag.objects.bulk_create(
            [CustomerTag(customer_id=i, tag=tag, source=TagSource.MANUAL, since=now, by=user) for i in new],
            batch_size=CHUNK,
        )
        for part in _chunks(rule_held):
            CustomerTag.objects.filter(tag=tag, customer_id__in=part).update(source=TagSource.MANUAL, by=user)
        converted_note = "；".join(p for p in ("由规则标签转为手工标签", text) if p)[:200]
        history = [
            TagHistory(
                customer_id=i,
                tag=tag,
                action=HistoryAction.ADDED,
                source=TagSource.MANUAL,
                at=now,
                by=user,
                note=converted_note if i in existing else text,
            )
            for i in [*new, *rule_held]
        ]
    else:
        manual = [i for i, s in existing.items() if s == TagSource.MANUAL]
        report.removed, report.rule_kept = len(manual), len(existing) - len(manual)
        report.not_had = len(ids) - len(existing)
        for part in _chunks(manual):
            CustomerTag.objects.filter(tag=tag, customer_id__in=part, source=TagSource.MANUAL).delete()
        history = [
            TagHistory(
                customer_id=i,
                tag=tag,
                action=HistoryAction.REMOVED,
                source=TagSource.MANUAL,
                at=now,
                by=user,
                note=text,
            )
            for i in manual
        ]
    TagHistory.objects.bulk_create(history, batch_size=CHUNK)
    summary = report.as_dict()
    summary.pop("unknown")
    audit.record(
        action=f"tags.bulk.{action}",
        user=user,
        obj=tag,
        after={**summary, "note": text},
    )
    return report


def log_export(*, user: Any, tag: Tag, filters: dict[str, Any], rows: int | None = None) -> None:
    """The customers of a tag left the system as a file: who, which tag, which filters."""
    audit.record(
        action="tags.export",
        user=user,
        obj=tag,
        after={"filters": {k: v for k, v in filters.items() if k != "page"}, "rows": rows},
    )
