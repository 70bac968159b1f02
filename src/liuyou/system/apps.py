from django.apps import AppConfig


class SystemConfig(AppConfig):
    name = "liuyou.system"
    label = "system"
    verbose_name = "系统管理"

    def ready(self) -> None:
        from liuyou.core import pii, scope
        from liuyou.system.models import Org, User

        scope.register(Org, scope.ScopeSpec(org_path="path", owner=None, org_ids=("id",)))
        scope.register(User, scope.ScopeSpec(org_path="org__path", owner="id", org_ids=("org_id",)))
        # The TOTP seed is SM4-encrypted like personal data, so key rotation re-encrypts it too.
        pii.register_secret(User, "totp_secret")
