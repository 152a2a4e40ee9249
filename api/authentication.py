"""DRF authentication by API key (`Authorization: Bearer ok_...`), and the scope each view needs."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from .keys import api_key_find, api_key_touch


class ApiClient:
    """request.user for a request made with an API key: an integration, not a person."""

    is_authenticated = True
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, key):
        self.key = key

    def __str__(self) -> str:
        return self.key.label

    def has_perm(self, perm, obj=None) -> bool:  # staff permissions are for people, never for keys
        return False


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        kind, _, raw = header.partition(" ")
        if kind != self.keyword or not raw.strip():
            raise exceptions.AuthenticationFailed("Send the API key as “Authorization: Bearer <key>”.")
        key = api_key_find(raw.strip())
        if key is None:
            raise exceptions.AuthenticationFailed("This API key is unknown or was revoked.")
        api_key_touch(key=key)
        return ApiClient(key), key

    def authenticate_header(self, request):
        return self.keyword


class HasScope(permissions.BasePermission):
    """The key must hold the view's `scopes[method]` (or `scopes["*"]`); a method without one is refused."""

    message = "This API key does not have the scope this request needs."

    def has_permission(self, request, view):
        key = request.auth
        if key is None:
            return False
        # HEAD is answered by GET; OPTIONS only describes the endpoint. Any other method the view
        # names no scope for is refused, never let through.
        method = "GET" if request.method == "HEAD" else request.method
        if method == "OPTIONS":
            return True
        needed = view.scopes.get(method) or view.scopes.get("*")
        if needed is None:
            return False
        if needed not in key.scopes:
            self.message = f"This API key does not have the scope “{needed}”."
            return False
        return True


class ApiKeySchema(OpenApiAuthenticationExtension):
    """How the OpenAPI document describes the key: HTTP bearer."""

    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API key made in the console: ok_..."}
