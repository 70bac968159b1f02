"""Writes and logged reads of the customer library. A reveal of a full ID or phone number is
a read, but it is recorded in the operation log in the caller's transaction like a write.
The library itself is written by the import; the one change made here is who manages a
customer (reassignment by a branch head)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from liuyou.core import audit, pii, scope
from liuyou.customers.models import AssignmentSource, Customer, ManagerAssignment, ManagerRole
from liuyou.system.models import User

# field -> (mask kind, Chinese name)
PII_FIELDS: dict[str, tuple[str, str]] = {"id_no": ("id", "证件号码"), "phone": ("phone", "手机号码")}


class RevealError(Exception):
    """The value could not be decrypted (missing key or tampered ciphertext); Chinese message."""


def reveal_pii(*, user: Any, customer: Customer, field: str) -> str:
    """The full value of `field`, logged as a reveal. The log entry names the customer and
    the field but never holds the value. The caller checks pii:view and the data scope."""
    if field not in PII_FIELDS:
        raise ValueError(f"not a protected customer field: {field}")
    label = PII_FIELDS[field][1]
    try:
        value = pii.reveal(customer, field)
    except pii.PIIError as exc:
        audit.record(
            action="pii.reveal", user=user, obj=customer, success=False, message=f"查看完整{label}失败：{exc}"
        )
        raise RevealError(f"无法显示完整{label}：{exc}") from exc
    audit.record(action="pii.reveal", user=user, obj=customer, message=f"查看完整{label}")
    return value


# --- reassignment -------------------------------------------------------------------------------

ASSIGN = "customer:assign"

# role -> the Customer column mirroring the open assignment of that role
_MANAGER_FIELD = {ManagerRole.PRIMARY: "manager", ManagerRole.ASSISTING: "assisting_manager"}


def _staff(user: Any) -> str:
    return f"{user.name}（{user.staff_no}）" if user is not None else "无"


def reassign_manager(
    *, actor: Any, customer: Customer, role: str, manager: Any, effective_date: datetime.date
) -> ManagerAssignment:
    """Make `manager` the customer's primary or assisting manager from `effective_date`: the
    open assignment of that role ends on that date, a new one starts, the customer's column
    follows, and the change is logged with before and after.

    Refusals (ValidationError, Chinese, keyed by form field): a customer or manager outside
    the actor's assign scope, a manager who has left or is a system account, the manager
    the customer already has, the other role's manager, a date in the future or before the
    current assignment began."""
    from liuyou.customers import selectors

    if role not in _MANAGER_FIELD:
        raise ValidationError({"role": "请选择主办或协办客户经理"})
    role_label = ManagerRole(role).label
    in_scope = scope.scoped(Customer.objects.filter(pk=customer.pk), actor, ASSIGN)
    if not in_scope.exists():
        raise ValidationError("该客户不在您的数据范围内，不能调整客户经理")
    if manager is None or not selectors.assignable_managers(user=actor).filter(pk=manager.pk).exists():
        raise ValidationError({"manager": "所选人员不在您的数据范围内，或已离职、停用，不能作为客户经理"})
    if effective_date > timezone.localdate():
        raise ValidationError({"effective_date": "生效日期不能晚于今天"})

    with transaction.atomic():
        # Two heads changing the same customer at once: the second waits and then sees the first.
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        field = _MANAGER_FIELD[ManagerRole(role)]
        current_id = getattr(locked, f"{field}_id")
        if current_id == manager.pk:
            raise ValidationError({"manager": f"{_staff(manager)}已是该客户的{role_label}客户经理"})
        other = "assisting_manager" if field == "manager" else "manager"
        if getattr(locked, f"{other}_id") == manager.pk:
            raise ValidationError({"manager": "主办与协办客户经理不能是同一人"})
        open_row = ManagerAssignment.objects.filter(customer=locked, role=role, end_date__isnull=True).first()
        if open_row is not None and effective_date < open_row.start_date:
            began = f"{open_row.start_date:%Y-%m-%d}"
            raise ValidationError(
                {"effective_date": f"生效日期不能早于当前{role_label}客户经理的开始日期 {began}"}
            )
        previous = User.objects.filter(pk=current_id).first() if current_id else None
        if open_row is not None:
            ManagerAssignment.objects.filter(pk=open_row.pk).update(end_date=effective_date)
        assignment = ManagerAssignment.objects.create(
            customer=locked,
            manager=manager,
            role=role,
            start_date=effective_date,
            source=AssignmentSource.REASSIGNMENT,
            changed_by=actor,
        )
        setattr(locked, field, manager)
        locked.save(update_fields=[field, "updated_at"])
        setattr(customer, field, manager)
        audit.record(
            action="customer.reassign",
            user=actor,
            obj=locked,
            before={"role": role, "manager": previous.staff_no if previous else None},
            after={"role": role, "manager": manager.staff_no, "effective_date": effective_date},
            message=(
                f"调整{role_label}客户经理：{_staff(previous)} → {_staff(manager)}，"
                f"生效日期 {effective_date:%Y-%m-%d}"
            ),
        )
    return assignment
