"""Set-up shared by the inventory tests."""

from mercato.inventory.services import create_warehouse

ADDRESS = {"city": "某市", "district": "某区", "address": "物流园1号"}


def make_warehouse(code: str, province: str, priority: int = 100):
    """A warehouse in `province` that serves it, through the service."""
    return create_warehouse(
        actor=None,
        code=code,
        name=f"仓库{code}",
        provinces=[province],
        province=province,
        priority=priority,
        **ADDRESS,
    )
