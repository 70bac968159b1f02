"""`liuyou createuser`: create a staff account from the command line (e.g. the first
system administrator of a fresh installation). The user must change the password at first login."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import translation

from liuyou.system import services
from liuyou.system.models import Org, Role, User

STAFF_NO_MAX = User._meta.get_field("staff_no").max_length or 32
NAME_MAX = User._meta.get_field("name").max_length or 50
ORG_CODE_MAX = Org._meta.get_field("code").max_length or 32
ORG_NAME_MAX = Org._meta.get_field("name").max_length or 100


class Command(BaseCommand):
    help = "创建用户（首次登录须改密）/ Create a staff account that must change its password at first login"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--staff-no", required=True, help="工号（登录账号）")
        parser.add_argument("--name", required=True, help="姓名")
        parser.add_argument("--org", required=True, help="所属机构的机构号，如 000（总行）")
        parser.add_argument(
            "--role",
            action="append",
            default=[],
            metavar="ROLE",
            help="角色标识，可重复，如 --role system_admin；可用角色见下方说明",
        )
        parser.add_argument("--password", help="初始密码；不填则交互输入（不回显）")
        parser.add_argument("--position", default="", help="岗位（可选）")
        parser.add_argument("--phone", default="", help="手机号码（可选）")
        parser.add_argument(
            "--service-account",
            action="store_true",
            help="系统接口账号：不能登录页面，只能通过安全管理员发放的接口密钥调用 API；无须密码",
        )
        parser.add_argument(
            "--head-office-name",
            metavar="NAME",
            help="全新安装、尚无任何机构时：以 --org 的机构号和此名称先建立总行，如 县农商银行总行",
        )
        parser.epilog = "角色 ROLE: " + ", ".join(f"{code}（{name}）" for code, name in _builtin_roles())

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate("zh-hans")
        staff_no = options["staff_no"].strip()
        name = options["name"].strip()
        if not staff_no or len(staff_no) > STAFF_NO_MAX:
            raise CommandError(f"工号不能为空，且不超过 {STAFF_NO_MAX} 个字符")
        if not name or len(name) > NAME_MAX:
            raise CommandError(f"姓名不能为空，且不超过 {NAME_MAX} 个字符")
        if User.objects.filter(staff_no=staff_no).exists():
            raise CommandError(f"工号 {staff_no} 已存在")
        org_code = options["org"].strip()
        head_office_name = (options["head_office_name"] or "").strip()
        org = Org.objects.filter(code=org_code, is_active=True).first()
        if head_office_name:
            if Org.objects.exists():
                raise CommandError(
                    "已有机构，不能再用 --head-office-name 建立总行；请用 --org 指定已有机构号"
                )
            if not org_code or len(org_code) > ORG_CODE_MAX or len(head_office_name) > ORG_NAME_MAX:
                raise CommandError(
                    f"机构号不超过 {ORG_CODE_MAX} 个字符，机构名称不超过 {ORG_NAME_MAX} 个字符"
                )
        elif org is None:
            hint = "；全新安装可加 --head-office-name 先建立总行" if not Org.objects.exists() else ""
            raise CommandError(f"机构号 {org_code} 不存在或已停用{hint}")
        codes = list(dict.fromkeys(options["role"]))
        roles = list(Role.objects.filter(code__in=codes, is_active=True))
        unknown = sorted(set(codes) - {r.code for r in roles})
        if unknown:
            valid = "、".join(code for code, _ in _builtin_roles())
            raise CommandError(f"未知或已停用的角色：{'、'.join(unknown)}（可用：{valid}）")

        service = bool(options["service_account"])
        password = options["password"]
        if service:
            if password is not None:
                raise CommandError("系统接口账号不设密码（不能登录页面），请去掉 --password")
        else:
            if password is None:
                password = self._prompt_password()
            candidate = User(
                staff_no=staff_no, name=name, org=org or Org(code=org_code, name=head_office_name)
            )
            try:
                validate_password(password, user=candidate)
            except ValidationError as exc:
                raise CommandError("密码不符合要求：" + "；".join(exc.messages)) from exc

        with transaction.atomic():
            if org is None:
                org = services.create_org(
                    code=org_code, name=head_office_name, kind="head_office", parent=None
                )
                self.stdout.write(f"已建立总行 {org.name}（机构号 {org.code}）。")
            user = services.create_user(
                staff_no=staff_no,
                name=name,
                org=org,
                password=password,
                roles=roles,
                position=options["position"],
                phone=options["phone"],
                must_change_password=not service,
                is_service_account=service,
            )
        role_names = "、".join(r.name for r in roles) or "无（默认无任何权限，请由安全管理员授予角色）"
        if service:
            self.stdout.write(
                f"已创建系统接口账号 {user.staff_no} {user.name}（{org.name}），角色：{role_names}。"
                f"请用 liuyou apikey create --user {user.staff_no} 发放接口密钥。"
            )
            return
        self.stdout.write(
            f"已创建用户 {user.staff_no} {user.name}（{org.name}），角色：{role_names}。首次登录须修改密码。"
        )

    def _prompt_password(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError("未提供 --password，且当前不是交互终端，无法输入密码")
        first = getpass.getpass("密码：")
        second = getpass.getpass("再次输入密码：")
        if first != second:
            raise CommandError("两次输入的密码不一致")
        return first


def _builtin_roles() -> list[tuple[str, str]]:
    from liuyou.system.catalog import ROLES

    return [(code, spec[0]) for code, spec in ROLES.items()]
