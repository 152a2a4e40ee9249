"""The packing screen of one parcel (admin-hosted): scan or type each unit's barcode or SKU, see the
progress per line, and mark the parcel packed once everything is confirmed. Also the parcel's packing
slip and placeholder label PDFs. Every write is a service call (orders.services.packing, fulfillment).

The page works without JavaScript (each scan is a form POST that returns the screen); with
static/js/packing.js a scan is posted for JSON and the panel is swapped in place, with a beep."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse

from lifecycle.packing_documents import packing_slip_pdf_render, shipping_label_pdf_render
from orders.models import Shipment, WorkItem
from orders.selectors.packing import packing_lines
from orders.services import fulfillment
from orders.services.packing import SCAN_COUNT_MAX, ScanRefused, line_is_confirmed, shipment_scan
from orders.services.work_items import SERVICE_KIND
from orders_site.core.admin import status_badge
from orders_site.core.exceptions import ApplicationError

FULFIL = "orders.fulfil_order"


class ScanForm(forms.Form):
    code = forms.CharField(
        label="Barcode or SKU",
        max_length=200,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "off", "class": "packing-code", "spellcheck": "false"}
        ),
        error_messages={"required": "Scan a barcode or type a SKU."},
    )
    count = forms.IntegerField(
        label="Units",
        min_value=1,
        max_value=SCAN_COUNT_MAX,
        initial=1,
        widget=forms.NumberInput(attrs={"class": "packing-count"}),
        error_messages={
            "invalid": f"Enter a whole number of units from 1 to {SCAN_COUNT_MAX}.",
            "min_value": f"Enter a whole number of units from 1 to {SCAN_COUNT_MAX}.",
            "max_value": f"Enter a whole number of units from 1 to {SCAN_COUNT_MAX}.",
        },
    )


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _rows(lines):
    rows = []
    for line in lines:
        work_item = getattr(line, "work_item", None)
        service = line.order_line.kind == SERVICE_KIND
        rows.append(
            {
                "line": line,
                "service": service,
                "work_item": work_item,
                "work_open": work_item is not None and work_item.status != WorkItem.Status.DONE,
                "work_badge": status_badge(work_item.status, work_item.get_status_display()) if work_item else "",
                "confirmed": line_is_confirmed(line),
                "barcode": line.order_line.product.barcode if line.order_line.product else "",
            }
        )
    return rows


class PackingScreenMixin:
    """ShipmentAdmin's packing screen and parcel PDFs."""

    def packing_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:shipment_id>/packing/", wrap(self.packing_view), name="orders_shipment_packing"),
            path("<int:shipment_id>/packing-slip/", wrap(self.packing_slip_view), name="orders_shipment_packing_slip"),
            path("<int:shipment_id>/label/", wrap(self.shipping_label_view), name="orders_shipment_label"),
        ]

    def _packing_shipment(self, request, shipment_id) -> Shipment:
        if not request.user.has_perm(FULFIL):
            raise PermissionDenied
        return get_object_or_404(
            Shipment.objects.select_related("order__shipping_address", "order__customer", "warehouse"), pk=shipment_id
        )

    def packing_view(self, request, shipment_id):
        shipment = self._packing_shipment(request, shipment_id)
        if request.method == "GET":
            return self._packing_render(request, shipment, ScanForm())
        if request.method != "POST":
            return HttpResponseNotAllowed(["GET", "POST"])
        if "mark_packed" in request.POST:
            return self._packing_mark_packed(request, shipment)
        form = ScanForm(request.POST)
        feedback = None
        if form.is_valid():
            try:
                result = shipment_scan(
                    shipment=shipment,
                    code=form.cleaned_data["code"],
                    count=form.cleaned_data["count"],
                    actor=request.user,
                )
            except ScanRefused as refusal:
                feedback = {"ok": False, "message": refusal.message, "reason": refusal.extra.get("reason", "")}
                form.add_error(refusal.extra.get("field", "code"), refusal.message)
            else:
                feedback = {"ok": True, "message": result.message, "reason": ""}
                form = ScanForm(initial={"count": 1})
        else:
            message = " ".join(error for errors in form.errors.values() for error in errors)
            feedback = {"ok": False, "message": message, "reason": "bad_input"}
        shipment.refresh_from_db(fields=["status"])
        return self._packing_render(request, shipment, form, feedback=feedback)

    def _packing_mark_packed(self, request, shipment):
        try:
            fulfillment.shipment_pack(
                shipment=shipment, actor=request.user, expected_status=request.POST.get("expected_status") or None
            )
        except ApplicationError as error:
            return self._packing_render(
                request,
                shipment,
                ScanForm(),
                feedback={"ok": False, "message": error.message, "reason": "not_complete"},
            )
        self.message_user(request, f"Parcel {shipment.number} is packed: it is ready to dispatch.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:orders_shipment_change", args=[shipment.pk]))

    def _packing_context(self, request, shipment, form, feedback):
        lines = packing_lines(shipment_id=shipment.pk)
        rows = _rows(lines)
        complete = all(row["confirmed"] for row in rows)
        return {
            **self.admin_site.each_context(request),
            "title": f"Pack parcel {shipment.number}",
            "subtitle": None,
            "opts": self.opts,
            "shipment": shipment,
            "badge": status_badge(shipment.status, shipment.get_status_display()),
            "rows": rows,
            "to_confirm": sum(1 for row in rows if not row["confirmed"]),
            "complete": complete,
            "can_pack": complete and shipment.status == Shipment.Status.PICKING,
            "packing": shipment.status == Shipment.Status.PICKING,
            "form": form,
            "feedback": feedback,
        }

    def _packing_render(self, request, shipment, form, *, feedback=None):
        context = self._packing_context(request, shipment, form, feedback)
        if _wants_json(request):
            panel = render_to_string("admin/orders/packing/_panel.html", context, request=request)
            return JsonResponse(
                {
                    "ok": bool(feedback and feedback["ok"]),
                    "message": feedback["message"] if feedback else "",
                    "reason": feedback["reason"] if feedback else "",
                    "complete": context["complete"],
                    "panel": panel,
                },
                status=200 if not feedback or feedback["ok"] else 400,
            )
        return TemplateResponse(request, "admin/orders/packing/screen.html", context)

    # -- the parcel's papers ---

    def packing_slip_view(self, request, shipment_id):
        shipment = self._packing_shipment(request, shipment_id)
        if shipment.status == Shipment.Status.CANCELLED:
            raise Http404("The parcel was cancelled")
        pdf = packing_slip_pdf_render(shipment=shipment, lines=packing_lines(shipment_id=shipment.pk))
        return _pdf_response(pdf, f"packing-slip-{shipment.number}.pdf")

    def shipping_label_view(self, request, shipment_id):
        shipment = self._packing_shipment(request, shipment_id)
        if shipment.status == Shipment.Status.CANCELLED:
            raise Http404("The parcel was cancelled")
        return _pdf_response(shipping_label_pdf_render(shipment=shipment), f"label-{shipment.number}.pdf")


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
