"""Rebuild every stock level from the ledger and report differences. Exit status 1 when there are any."""

from django.core.management.base import BaseCommand, CommandError

from inventory.selectors import stock_audit_differences
from orders_site.core.formatting import count_display


class Command(BaseCommand):
    help = "Rebuild stock levels from the movements ledger (and open allocations) and report any difference."

    def handle(self, *args, **options):
        differences = stock_audit_differences()
        if not differences:
            self.stdout.write(self.style.SUCCESS("Stock audit: every level matches the ledger."))
            return
        for difference in differences:
            self.stderr.write(difference.describe())
        raise CommandError(
            f"Stock audit: {count_display(len(differences), 'stock level')} "
            f"{'differs' if len(differences) == 1 else 'differ'} from the ledger: "
            + ", ".join(f"{d.sku} @ {d.warehouse_code}" for d in differences),
            returncode=1,
        )
