"""What each department's workspace says about itself (the home page).

The links come from navigation.py, filtered by the user's permissions; here is only the
department's own summary and the systems later issues bring it, named so staff know
what is coming and nobody mistakes an empty page for a broken one.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class DepartmentWorkspace:
    title: str
    summary: str
    later: tuple[str, ...] = ()


WORKSPACES = {
    "service": DepartmentWorkspace(
        _("Customer service workspace"),
        _(
            "Answer customers' questions about products and orders: tickets from phone, "
            "email and the shop in one list with their SLA timers, live chat, the "
            "customer's whole story by phone number, callbacks, the knowledge base and "
            "training, quality review and agents' KPIs; the order console and the catalogue."
        ),
    ),
    "marketing": DepartmentWorkspace(
        _("Marketing workspace"),
        _("Channels, campaigns and members. For now you can browse and export the catalogue."),
        (
            _("Channels and campaigns with tracked links"),
            _("Return on spend per channel"),
            _("Member tiers and points"),
            _("Segments and email campaigns"),
        ),
    ),
    "procurement": DepartmentWorkspace(
        _("Procurement and logistics workspace"),
        _(
            "Orders to the customer's door and back: review, picking waves, packing, "
            "shipping, carriers and their delivery audit, returns and exchanges. Suppliers, "
            "tenders, purchase lists, purchase orders and receiving. Stock per warehouse "
            "with its ledger, reconciliation, cycle counts, transfers and rebalancing; the "
            "warehouse network and the supply-chain KPIs. The catalogue with cost prices."
        ),
    ),
    "tech": DepartmentWorkspace(
        _("Technology workspace"),
        _("The platform itself: who changed what, system health and the API."),
        (_("System health and metrics"),),
    ),
    "operations": DepartmentWorkspace(
        _("Website operations workspace"),
        _(
            "The catalogue: products and their SKUs, prices, images, categories and brands; "
            "publishing to the shop."
        ),
        (
            _("Price suggestions and competitor prices"),
            _("Promotions and coupons"),
            _("Sales analysis"),
        ),
    ),
    "finance": DepartmentWorkspace(
        _("Finance workspace"),
        _(
            "Collections, refunds and margins. For now you can browse the catalogue with cost "
            "prices, and export it."
        ),
        (
            _("Collections per payment method"),
            _("Reconciliation and gross margin"),
        ),
    ),
    "hr": DepartmentWorkspace(
        _("Human resources workspace"),
        _(
            "The departments and their staff: create accounts, move people between "
            "departments, grant roles and deactivate accounts."
        ),
    ),
}

DEFAULT = DepartmentWorkspace(
    _("Back office"), _("Your account is not in a department; the menu shows what you may use.")
)


def workspace_for(user) -> DepartmentWorkspace:
    profile = getattr(user, "staff_profile", None)  # None for a superuser without one
    return WORKSPACES.get(profile.department.code, DEFAULT) if profile else DEFAULT
