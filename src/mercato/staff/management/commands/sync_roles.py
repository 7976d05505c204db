from django.core.management.base import BaseCommand

from mercato.staff import roles
from mercato.staff.services import sync_roles


class Command(BaseCommand):
    help = "Create or update the seven departments and the extra roles from the role matrix."

    def handle(self, *args, **options):
        sync_roles()
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(roles.DEPARTMENTS)} departments and {len(roles.ROLES)} roles in place"
            )
        )
