"""mercato check_order_address --recipient NAME --phone PHONE --address "FULL ADDRESS"

Runs the automatic review rules on one address, without an order, and prints `pass`, or
`hold:` followed by the reasons (address, phone, incomplete, malicious, cod-risk),
comma-separated. `--verbose 2` adds one line per finding. Optional: --cod with --total to
try the cash-on-delivery rules, --quantity, --ip.
"""

from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from mercato.fulfillment.review.rules import check_address, reasons_of


class Command(BaseCommand):
    help = "Try the order review rules on one address: prints pass or hold:<reasons>."

    def add_arguments(self, parser):
        parser.add_argument("--recipient", required=True, help="The recipient's name")
        parser.add_argument("--phone", required=True, help="The recipient's phone")
        parser.add_argument("--address", required=True, help="The whole delivery address")
        parser.add_argument("--cod", action="store_true", help="Cash on delivery")
        parser.add_argument("--total", default="0", help="The order's total (¥), for --cod")
        parser.add_argument("--quantity", type=int, default=0, help="Units of one SKU")
        parser.add_argument("--ip", default=None, help="The buyer's IP address")

    def handle(self, *args, **options):
        try:
            total = Decimal(options["total"])
        except InvalidOperation:
            raise CommandError("--total must be an amount, e.g. 199.00") from None
        if not total.is_finite() or total < 0:
            raise CommandError("--total must be an amount, e.g. 199.00")
        if options["quantity"] < 0:
            raise CommandError("--quantity must be 0 or more")
        candidate = check_address(
            recipient=options["recipient"],
            phone=options["phone"],
            address=options["address"],
            cod=options["cod"],
            total=total,
            quantity=options["quantity"],
            client_ip=options["ip"],
        )
        if candidate.database_missing:
            self.stderr.write(
                "No usable database (run `mercato migrate`): the rules that count orders, "
                "the blacklist and the lead's settings were skipped."
            )
        reasons = reasons_of(candidate.findings)
        self.stdout.write("hold:" + ",".join(reasons) if reasons else "pass")
        if options["verbosity"] >= 2:
            for finding in candidate.findings:
                extra = f" ({finding.detail})" if finding.detail else ""
                self.stdout.write(f"  {finding.reason}: {_(finding.message)}{extra}")
