"""Vouchers that merchants use: kinds (percentage, fixed amount, free delivery), a minimum order
value, a scope of products and categories, total and per-customer limits, and a redemption row per
order that uses one.

The backfill gives every voucher its uses so far (a redemption per order that used it and was not
cancelled, numbered per customer) and the terms those orders were priced with (all were a
percentage of the whole order). A voucher whose end date came before its start could never be
used: it is switched off and its end cleared, so that the new dates-in-order constraint holds.
"""

from collections import defaultdict

import django.db.models.deletion
from django.contrib.auth.management import create_permissions
from django.db import migrations, models
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from orders_site.core.staff_groups import staff_groups_apply

BATCH = 2000


def backfill(apps, schema_editor):
    Voucher = apps.get_model("orders", "Voucher")
    Order = apps.get_model("orders", "Order")
    VoucherRedemption = apps.get_model("orders", "VoucherRedemption")
    Voucher.objects.filter(valid_from__isnull=False, valid_until__lte=F("valid_from")).update(
        is_active=False, valid_until=None
    )
    for voucher in Voucher.objects.filter(orders__isnull=False).distinct().order_by("pk").iterator():
        terms = {
            "kind": "percentage",
            "percent_off": str(voucher.percent_off),
            "amount_off": "0.00",
            "minimum_order": "0.00",
            "product_ids": [],
            "category_ids": [],
        }
        Order.objects.filter(voucher=voucher).update(discount_terms=terms)
        counting = (
            Order.objects.filter(voucher=voucher)
            .exclude(Q(status="cancelled") | Q(status="draft"))
            .order_by("pk")
            .values_list("pk", "customer_id", "discount_total")
        )
        uses = defaultdict(int)
        batch = []
        for order_id, customer_id, discount_total in counting.iterator(chunk_size=BATCH):
            uses[customer_id] += 1
            batch.append(
                VoucherRedemption(
                    voucher_id=voucher.pk,
                    order_id=order_id,
                    customer_id=customer_id,
                    amount=discount_total,
                    customer_use=uses[customer_id],
                )
            )
            if len(batch) >= BATCH:
                VoucherRedemption.objects.bulk_create(batch)
                batch = []
        VoucherRedemption.objects.bulk_create(batch)
        placed_at = Order.objects.filter(pk=OuterRef("order_id")).values("placed_at")[:1]
        VoucherRedemption.objects.filter(voucher_id=voucher.pk).update(
            created_at=Coalesce(Subquery(placed_at), F("created_at"))
        )
        Voucher.objects.filter(pk=voucher.pk).update(times_used=sum(uses.values()))


def staff_groups_reapply(apps, schema_editor):
    # Permissions are normally created after all migrations; customer service reads redemptions now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    staff_groups_apply(apps)


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0006_console_indexes'),
        ('orders', '0006_order_event_staff_comment'),
        ('core', '0003_staff_groups_admin'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.CreateModel(
            name='VoucherRedemption',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount', models.DecimalField(decimal_places=2, help_text='What the customer saved, before tax (items and delivery)', max_digits=12)),
                ('customer_use', models.PositiveIntegerField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('released_at', models.DateTimeField(blank=True, null=True, verbose_name='given back')),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='voucher',
            name='voucher_percent_range',
        ),
        migrations.AddField(
            model_name='order',
            name='discount_terms',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='order',
            name='shipping_discount',
            field=models.DecimalField(decimal_places=2, default=0, help_text='Delivery fee waived by a voucher, before tax', max_digits=12),
        ),
        migrations.AddField(
            model_name='voucher',
            name='amount_off',
            field=models.DecimalField(decimal_places=2, default=0, help_text='For a fixed amount off, before VAT: shared over the eligible items, never more than they cost', max_digits=10),
        ),
        migrations.AddField(
            model_name='voucher',
            name='categories',
            field=models.ManyToManyField(blank=True, help_text='Only products in these categories; with no products or categories, the whole order', related_name='+', to='inventory.category'),
        ),
        migrations.AddField(
            model_name='voucher',
            name='kind',
            field=models.CharField(choices=[('percentage', 'Percentage off'), ('fixed_amount', 'Fixed amount off'), ('free_shipping', 'Free delivery')], default='percentage', max_length=20),
        ),
        migrations.AddField(
            model_name='voucher',
            name='minimum_order',
            field=models.DecimalField(decimal_places=2, default=0, help_text='Of the eligible items, before discount and excluding VAT; 0 for none', max_digits=10, verbose_name='minimum order value'),
        ),
        migrations.AddField(
            model_name='voucher',
            name='per_customer_limit',
            field=models.PositiveIntegerField(blank=True, help_text='How many orders one customer may use it for (guests: per e-mail address); empty for no limit', null=True, verbose_name='uses per customer'),
        ),
        migrations.AddField(
            model_name='voucher',
            name='products',
            field=models.ManyToManyField(blank=True, help_text='Only these products (and the categories below)', related_name='+', to='inventory.product'),
        ),
        migrations.AddField(
            model_name='voucher',
            name='times_used',
            field=models.PositiveIntegerField(default=0, editable=False, help_text='Orders using it, not cancelled'),
        ),
        migrations.AddField(
            model_name='voucher',
            name='usage_limit',
            field=models.PositiveIntegerField(blank=True, help_text='How many orders may use it in all; empty for no limit', null=True, verbose_name='total uses'),
        ),
        migrations.AlterField(
            model_name='order',
            name='discount_total',
            field=models.DecimalField(decimal_places=2, default=0, help_text='Taken off the lines, before tax', max_digits=12),
        ),
        migrations.AlterField(
            model_name='order',
            name='shipping_total',
            field=models.DecimalField(decimal_places=2, default=0, help_text='Delivery charged, before tax', max_digits=12),
        ),
        migrations.AlterField(
            model_name='voucher',
            name='percent_off',
            field=models.DecimalField(decimal_places=2, default=0, help_text='For a percentage off: more than 0, at most 100', max_digits=5),
        ),
        migrations.AddField(
            model_name='voucherredemption',
            name='customer',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='voucher_redemptions', to='orders.customer'),
        ),
        migrations.AddField(
            model_name='voucherredemption',
            name='order',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='voucher_redemption', to='orders.order'),
        ),
        migrations.AddField(
            model_name='voucherredemption',
            name='voucher',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='redemptions', to='orders.voucher'),
        ),
        migrations.AddIndex(
            model_name='voucherredemption',
            index=models.Index(fields=['-created_at', '-id'], name='redemption_created_idx'),
        ),
        migrations.AddIndex(
            model_name='voucherredemption',
            index=models.Index(fields=['voucher', '-created_at', '-id'], name='redemption_voucher_idx'),
        ),
        migrations.AddConstraint(
            model_name='voucherredemption',
            constraint=models.UniqueConstraint(fields=('voucher', 'customer', 'customer_use'), name='voucher_redemption_one_per_customer_use'),
        ),
        migrations.AddConstraint(
            model_name='voucherredemption',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('customer_use__isnull', False), ('released_at__isnull', True)), models.Q(('customer_use__isnull', True), ('released_at__isnull', False)), _connector='OR'), name='voucher_redemption_counted_until_released'),
        ),
        migrations.AddConstraint(
            model_name='voucherredemption',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gte', 0)), name='voucher_redemption_amount_not_negative'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='voucher',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'percentage'), ('percent_off__gt', 0), ('percent_off__lte', 100)), models.Q(('amount_off__gt', 0), ('kind', 'fixed_amount')), ('kind', 'free_shipping'), _connector='OR'), name='voucher_kind_terms'),
        ),
        migrations.AddConstraint(
            model_name='voucher',
            constraint=models.CheckConstraint(condition=models.Q(('minimum_order__gte', 0)), name='voucher_minimum_not_negative'),
        ),
        migrations.AddConstraint(
            model_name='voucher',
            constraint=models.CheckConstraint(condition=models.Q(('usage_limit__isnull', True), ('times_used__lte', models.F('usage_limit')), _connector='OR'), name='voucher_uses_within_limit'),
        ),
        migrations.AddConstraint(
            model_name='voucher',
            constraint=models.CheckConstraint(condition=models.Q(('per_customer_limit__isnull', True), ('per_customer_limit__gt', 0), _connector='OR'), name='voucher_per_customer_limit_positive'),
        ),
        migrations.AddConstraint(
            model_name='voucher',
            constraint=models.CheckConstraint(condition=models.Q(('valid_from__isnull', True), ('valid_until__isnull', True), ('valid_until__gt', models.F('valid_from')), _connector='OR'), name='voucher_dates_in_order'),
        ),
        migrations.AddIndex(
            model_name='voucher',
            index=models.Index(fields=['kind', '-id'], name='voucher_kind_idx'),
        ),
        migrations.AddIndex(
            model_name='voucher',
            index=models.Index(fields=['is_active', '-id'], name='voucher_active_idx'),
        ),
        migrations.RunPython(staff_groups_reapply, migrations.RunPython.noop),
    ]
