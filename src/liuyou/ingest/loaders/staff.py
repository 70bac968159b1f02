"""staff (员工, full): upsert accounts by 工号; 离职 (or missing from the file) closes the login.

New staff get no usable password and no role: roles are granted by the security
administrator (三员分立), and a password is set when the account is handed over. A member
of staff marked 离职 loses the login at once (is_active False, every session ended). Someone
marked 在职 again gets the status back but not the login: enabling is an administrator's act.
Service accounts are never closed by the staff file (they are not staff).
Grids are not in HR's org extract: someone the app placed in a grid keeps that grid while the
extract names the grid's own branch or outlet (the app's refinement, not a change of post).
入职日期 is validated but not stored: the user model has no such column yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from liuyou.ingest.loaders.base import LoadContext, LoadResult, batches, history_only
from liuyou.ingest.validate import Row
from liuyou.system import sessions
from liuyou.system.models import DictItem, Org, OrgKind, User, UserSession, UserStatus

FIELDS = ("name", "org_id", "position", "phone", "wecom_userid", "status", "is_active")
OPTIONAL = ("position", "phone", "wecom_userid")
CHUNK = 500


class StaffLoader:
    def load(self, rows: Iterable[Row], ctx: LoadContext) -> LoadResult:
        orgs = dict(Org.objects.values_list("code", "pk"))
        if not ctx.latest:  # an older file must not rename people or end anyone's login
            return history_only(
                rows,
                ctx,
                lambda row: (
                    []
                    if row.values["org_code"] in orgs
                    else [("机构号", f"机构号 {row.values['org_code']} 不存在")]
                ),
            )
        self.grid_parent = dict(Org.objects.filter(kind=OrgKind.GRID).values_list("pk", "parent_id"))
        # HR writes the post's name (客户经理); we store the `position` dictionary's code when
        # the name is one of its labels, and a post the dictionary lacks as written.
        self.positions = dict(
            DictItem.objects.filter(dict_type__code="position").values_list("label", "value")
        )
        result = LoadResult()
        seen: set[str] = set()
        leavers: list[int] = []
        now = timezone.now()
        unusable = make_password(None)  # one hash for the batch; each is still unusable
        for batch in batches(rows):
            valid = []
            for row in batch:
                org_code = row.values["org_code"]
                if org_code not in orgs:
                    ctx.reject(row, [("机构号", f"机构号 {org_code} 不存在")])
                else:
                    valid.append(row)
                    seen.add(row.values["staff_no"])
            self._upsert(valid, orgs, result, leavers, now, unusable)

        active = User.objects.filter(status=UserStatus.ACTIVE, is_service_account=False)
        present = seen | ctx.present_keys
        missing = [pk for pk, no in active.values_list("pk", "staff_no") if no not in present]
        for i in range(0, len(missing), CHUNK):
            User.objects.filter(pk__in=missing[i : i + CHUNK]).update(
                status=UserStatus.LEFT, is_active=False, updated_at=now
            )
        result.closed = len(missing)
        leavers += missing
        left = _end_sessions(leavers, ctx.actor)
        result.details = {"leavers": left}
        return result

    def _upsert(
        self,
        rows: list[Row],
        orgs: dict[str, int],
        result: LoadResult,
        leavers: list[int],
        now: Any,
        unusable: str,
    ) -> None:
        existing = {
            u.staff_no: u for u in User.objects.filter(staff_no__in=[r.values["staff_no"] for r in rows])
        }
        new: list[User] = []
        changed: list[User] = []
        for row in rows:
            v = row.values
            target: dict[str, Any] = {"name": v["name"], "org_id": orgs[v["org_code"]], "status": v["status"]}
            # Optional columns the file leaves out keep their current values.
            target |= {f: v[f] or "" for f in OPTIONAL if f in v}
            if target.get("position"):
                target["position"] = self.positions.get(target["position"], target["position"])
            user = existing.get(v["staff_no"])
            if user is not None and self.grid_parent.get(user.org_id) == target["org_id"]:
                target["org_id"] = user.org_id
            if user is None:
                new.append(
                    User(
                        staff_no=v["staff_no"],
                        password=unusable,
                        is_active=v["status"] == UserStatus.ACTIVE,
                        must_change_password=True,
                        password_changed_at=now,
                        **target,
                    )
                )
                continue
            if v["status"] == UserStatus.LEFT:
                target["is_active"] = False
                if user.status != UserStatus.LEFT or user.is_active:
                    leavers.append(user.pk)
            if any(getattr(user, f) != val for f, val in target.items()):
                for f, val in target.items():
                    setattr(user, f, val)
                user.updated_at = now
                changed.append(user)
                result.updated += 1
            else:
                result.unchanged += 1
        User.objects.bulk_create(new, batch_size=CHUNK)
        result.inserted += len(new)
        User.objects.bulk_update(changed, [*FIELDS, "updated_at"], batch_size=CHUNK)


def _end_sessions(user_ids: list[int], actor: Any) -> list[str]:
    """End the open sessions of everyone who left; returns their 工号 for the audit entry.
    One query finds who has sessions; the service is called only for those (few) people."""
    if not user_ids:
        return []
    with_sessions: set[int] = set()
    for i in range(0, len(user_ids), CHUNK):
        with_sessions.update(
            UserSession.objects.filter(
                user_id__in=user_ids[i : i + CHUNK], ended_at__isnull=True
            ).values_list("user_id", flat=True)
        )
    for user in User.objects.filter(pk__in=sorted(with_sessions)):
        sessions.end_all_sessions(user=user, reason=sessions.EndReason.DISABLED, actor=actor)
    staff_nos: list[str] = []
    for i in range(0, len(user_ids), CHUNK):
        staff_nos += User.objects.filter(pk__in=user_ids[i : i + CHUNK]).values_list("staff_no", flat=True)
    return sorted(staff_nos)
