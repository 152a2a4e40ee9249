import pytest
from rest_framework.test import APIClient

from api.keys import api_key_create
from tests.builders import delivery_method_build


@pytest.fixture
def api_as(db):
    """An API client holding a new key with these scopes: api_as("orders:read", "orders:write")."""

    def make(*scopes: str, name: str = "ERP") -> APIClient:
        key, raw = api_key_create(name=name, scopes=list(scopes))
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        client.api_key = key
        return client

    return make


@pytest.fixture
def shop(catalogue):
    """The catalogue, and the standard delivery method the API names by its code."""
    catalogue.standard = delivery_method_build()
    return catalogue
