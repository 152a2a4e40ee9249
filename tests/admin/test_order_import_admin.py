"""CSV order import in the console: customer service uploads a file and sees its orders, or every
bad row and column beside nothing created; the template downloads; the warehouse sees none of it;
the imports list costs the same queries for one import and for many."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lifecycle.order_import import order_import_create, order_import_template
from orders.models import Order, OrderImport
from tests.builders import delivery_method_build

pytestmark = pytest.mark.django_db

UPLOAD = reverse("admin:orders_orderimport_upload")
IMPORTS = reverse("admin:orders_orderimport_changelist")


@pytest.fixture
def shop(catalogue):
    delivery_method_build(code="standard")
    return catalogue


def upload(client, content: bytes, source: str = "Marketplace"):
    file = SimpleUploadedFile("orders.csv", content, content_type="text/csv")
    return client.post(UPLOAD, {"source": source, "file": file}, follow=True)


def test_customer_service_imports_the_template_and_sees_its_order(browser_as, shop):
    client = browser_as("Customer service")
    assert 'data-testid="import-template"' in client.get(UPLOAD).content.decode()
    template = client.get(reverse("admin:orders_orderimport_template"))
    assert template["Content-Disposition"].endswith('order-import-template.csv"')

    page = upload(client, template.content).content.decode()

    order = Order.objects.get()
    assert order.channel == "import" and order.number in page
    assert "1 of 1 (100 %)" in page and "MP-10001" in page


def test_a_bad_file_lists_each_row_and_column_and_creates_nothing(browser_as, shop):
    bad = order_import_template().replace("CHAIR-1", "NOPE-1").replace(",2,", ",zero,").encode()

    page = upload(browser_as("Customer service"), bad).content.decode()

    assert 'data-testid="import-problems"' in page
    assert "No product has the SKU “NOPE-1”" in page and "“zero”" in page
    assert not Order.objects.exists()
    assert OrderImport.objects.get().status == OrderImport.Status.REFUSED


def test_a_missing_source_or_file_is_said_beside_the_field(browser_as, shop):
    response = browser_as("Customer service").post(UPLOAD, {"source": ""})
    assert set(response.context["form"].errors) == {"source", "file"}
    empty = upload(browser_as("Customer service"), b"   ")
    assert "The file is empty." in empty.content.decode()


def test_an_unfinished_import_page_refreshes_itself(browser_as, shop, settings):
    settings.ORDER_IMPORT_ROWS_IN_REQUEST = 1
    job = order_import_create(
        source="Marketplace", file_name="a.csv", content=order_import_template().encode(), placed_via="test"
    )
    page = browser_as("Managers").get(reverse("admin:orders_orderimport_change", args=[job.pk])).content.decode()
    assert job.status == "queued" and 'http-equiv="refresh"' in page


def test_the_warehouse_sees_no_imports(browser_as):
    client = browser_as("Warehouse")
    assert client.get(IMPORTS).status_code == 403
    assert client.get(UPLOAD).status_code == 403


def _list_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_lists_cost_the_same_queries_for_one_import_and_for_many(browser_as, shop):
    client = browser_as("Managers")
    references = reverse("admin:orders_externalorderreference_changelist")

    def one_file(n: int) -> bytes:
        return order_import_template().replace("MP-10001", f"MP-{n}").encode()

    order_import_create(source="A", file_name="1.csv", content=one_file(1), placed_via="t")
    counts = (_list_queries(client, IMPORTS), _list_queries(client, references))
    for n in range(2, 6):
        order_import_create(source="A", file_name=f"{n}.csv", content=one_file(n), placed_via="t")
    assert OrderImport.objects.count() == 5
    assert (_list_queries(client, IMPORTS), _list_queries(client, references)) == counts
