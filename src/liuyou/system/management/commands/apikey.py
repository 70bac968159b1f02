"""`liuyou apikey create | list | revoke`: API keys for system integrations, from the shell."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from liuyou.system import apikeys
from liuyou.system.models import ApiKey, User


def _iso(value: Any) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _describe(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.pk,
        "name": key.name,
        "prefix": key.prefix,
        "user": key.user.staff_no,
        "scopes": list(key.scopes or []),
        "created_at": _iso(key.created_at),
        "expires_at": _iso(key.expires_at),
        "last_used_at": _iso(key.last_used_at),
        "revoked_at": _iso(key.revoked_at),
        "status": apikeys.status_of(key),
    }


class Command(BaseCommand):
    help = (
        "管理接口密钥 / manage API keys: create, list, revoke.\n"
        "  liuyou apikey create --name 数据仓库同步 --user S001 --scope customer:view [--scope ...] "
        "[--expires-days 365] [--json]\n"
        "  liuyou apikey list [--json]\n"
        "  liuyou apikey revoke PREFIX"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="{create,list,revoke}", required=True)
        create = sub.add_parser("create", help="发放密钥；密钥原文只输出这一次 / issue a key (printed once)")
        create.add_argument("--name", required=True, help="名称（用途或对接系统）")
        create.add_argument(
            "--user", required=True, metavar="工号", help="系统接口账号的工号（须为服务账号）"
        )
        create.add_argument(
            "--scope",
            action="append",
            required=True,
            dest="scopes",
            metavar="PERMISSION",
            help="授权范围（权限标识，如 customer:view），可重复",
        )
        create.add_argument(
            "--expires-days", type=int, default=None, metavar="D", help="有效天数；不填则永不过期（不建议）"
        )
        create.add_argument("--json", action="store_true", help="输出一个 JSON 对象（含密钥原文）")
        lst = sub.add_parser("list", help="列出密钥（不含密钥原文） / list keys")
        lst.add_argument("--json", action="store_true", help="输出 JSON 数组")
        revoke = sub.add_parser("revoke", help="吊销密钥 / revoke a key")
        revoke.add_argument("prefix", metavar="PREFIX", help="密钥前缀（8 位，或 ly_<前缀> 开头的密钥）")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options)
        elif action == "list":
            self._list(options)
        else:
            self._revoke(options)

    def _create(self, options: dict[str, Any]) -> None:
        days = options["expires_days"]
        if days is not None and days < 1:
            raise CommandError("--expires-days 须为正整数")
        user = User.objects.filter(staff_no=options["user"]).first()
        if user is None:
            raise CommandError(f"用户 {options['user']} 不存在")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        try:
            with transaction.atomic():
                key, plain = apikeys.create_api_key(
                    name=options["name"],
                    user=user,
                    scopes=options["scopes"],
                    expires_at=expires_at,
                    actor=None,
                )
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        if options["json"]:
            self.stdout.write(json.dumps({**_describe(key), "key": plain}, ensure_ascii=False))
            return
        self.stdout.write(plain)
        self.stderr.write(
            f"已发放接口密钥“{key.name}”（前缀 {key.prefix}，账号 {user.staff_no}，"
            f"授权范围 {'、'.join(key.scopes)}，到期 {_iso(key.expires_at) or '永不过期'}）。\n"
            "密钥原文只显示这一次，系统只保存其摘要；请立即妥善保存。"
        )

    def _list(self, options: dict[str, Any]) -> None:
        keys = list(ApiKey.objects.select_related("user").order_by("-created_at"))
        if options["json"]:
            self.stdout.write(json.dumps([_describe(k) for k in keys], ensure_ascii=False))
            return
        if not keys:
            self.stdout.write("尚未发放接口密钥。")
            return
        for k in keys:
            d = _describe(k)
            self.stdout.write(
                f"{d['prefix']}  {apikeys.KeyStatus.LABELS[d['status']]}  {d['name']}  账号 {d['user']}  "
                f"范围 {','.join(d['scopes'])}  到期 {d['expires_at'] or '永不过期'}  "
                f"最近使用 {d['last_used_at'] or '从未使用'}"
            )

    def _revoke(self, options: dict[str, Any]) -> None:
        raw = options["prefix"].strip()
        prefix = (
            raw.split("_")[1] if raw.startswith(f"{apikeys.KEY_PREFIX}_") and raw.count("_") >= 1 else raw
        )
        key = ApiKey.objects.select_related("user").filter(prefix=prefix).first()
        if key is None:
            raise CommandError(f"前缀为 {prefix} 的密钥不存在")
        try:
            with transaction.atomic():
                apikeys.revoke_api_key(key=key, actor=None)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        self.stdout.write(f"已吊销接口密钥“{key.name}”（前缀 {key.prefix}），立即生效。")
