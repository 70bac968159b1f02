"""Which credit-bureau authorisation purposes a viewer may rely on, by role.

A bureau summary may be shown only for the purpose the customer authorised (《征信业管理条例》),
so a viewer sees it only when one of the viewer's roles works for that purpose: front office
reviews loans and manages customers, the risk office reviews loans, post-loan and guarantors,
post-loan staff do post-loan only. Roles not named here (custom roles included) use none.
"""

from __future__ import annotations

from typing import Any

from liuyou.customers.models import BureauPurpose

_FRONT_OFFICE = frozenset({BureauPurpose.LOAN_REVIEW, BureauPurpose.CUSTOMER_MANAGEMENT})

PURPOSES_BY_ROLE: dict[str, frozenset[str]] = {
    "account_manager": _FRONT_OFFICE,
    "service_specialist": _FRONT_OFFICE,
    "branch_head": _FRONT_OFFICE,
    "task_force_lead": _FRONT_OFFICE,
    "hq_admin": _FRONT_OFFICE,
    "risk_officer": frozenset(
        {BureauPurpose.LOAN_REVIEW, BureauPurpose.POST_LOAN, BureauPurpose.GUARANTEE_REVIEW}
    ),
    "post_loan_officer": frozenset({BureauPurpose.POST_LOAN}),
}


def purposes_for(user: Any) -> frozenset[str]:
    """The purposes `user` may use: the union over the user's active roles."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    codes = user.roles.filter(is_active=True).values_list("code", flat=True)
    out: frozenset[str] = frozenset()
    for code in codes:
        out |= PURPOSES_BY_ROLE.get(code, frozenset())
    return out
