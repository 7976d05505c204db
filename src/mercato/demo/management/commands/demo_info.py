from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from mercato.demo.data import DEMO_LOGINS, DEMO_PASSWORD, DEMO_SHOPPERS
from mercato.staff.models import Department


class Command(BaseCommand):
    help = "Print the demo's URLs and the log-in of each department."

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000", help="where the site is served"
        )

    def handle(self, *args, url, **options):
        base = url.rstrip("/")
        names = dict(Department.objects.values_list("code", "name"))
        # Labels are looked up first: xgettext does not see calls inside f-strings.
        shop, backoffice, api_docs = _("Shop"), _("Back office"), _("API docs")
        logins, password = _("Demo log-ins"), _("password")
        lines = [
            "",
            f"  {shop}: {base}/",
            f"  {backoffice}: {base}/backoffice/",
            f"  {api_docs}: {base}/api/docs",
            "",
            f"  {logins} ({password}: {DEMO_PASSWORD}):",
        ]
        for username, department, role_codes, _name, _title in DEMO_LOGINS:
            roles = f" + {', '.join(role_codes)}" if role_codes else ""
            lines.append(
                f"    {username:<12} {DEMO_PASSWORD:<14} {names.get(department, department)}"
                f" ({department}{roles})"
            )
        lines += self.buying_lines(base)
        self.stdout.write("\n".join(lines) + "\n")

    def buying_lines(self, base: str) -> list[str]:
        """How to log in to the shop and buy: with the sandbox gateway and with COD."""
        shoppers = _("Shop log-ins (mobile number and password)")
        lines = ["", f"  {shoppers}:"]
        for mobile, name, (province, *_rest) in DEMO_SHOPPERS:
            lines.append(f"    {mobile}  {DEMO_PASSWORD:<14} {name} ({province})")
        how = _("To buy something")
        steps = [
            _("log in at %(url)s with a shop log-in above,") % {"url": f"{base}/account/login/"},
            _("open a product on the home page, choose a variant and press Add to cart,"),
            _("in the cart press Check out, keep the saved address, choose how to pay and press "
              "Place order:"),
            _("Sandbox: press Pay on the next page, then Approve the payment on the sandbox "
              "cashier: the order is paid"),
            _("(Decline leaves it unpaid; unpaid orders are cancelled after 30 minutes);"),
            _("Cash on delivery: the order is placed at once, unpaid, and awaits review before "
              "shipping;"),
            _("your orders are under %(url)s.") % {"url": f"{base}/orders/"},
        ]  # fmt: skip
        lines += ["", f"  {how}:"] + [f"    {step}" for step in steps]
        return lines
