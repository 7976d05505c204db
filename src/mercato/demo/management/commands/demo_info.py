from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from mercato.demo.data import DEMO_LOGINS, DEMO_PASSWORD
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
        self.stdout.write("\n".join(lines) + "\n")
