from django.contrib import admin
from django.urls import include, path

from storefront.views.account import SignInView

admin.site.site_header = "Order console"
admin.site.site_title = "Order console"
admin.site.index_title = "Work queues"

urlpatterns = [
    path("admin/", admin.site.urls),
    # Signed carrier webhooks (hooks.views): tracking events, one per POST.
    path("hooks/", include("hooks.urls")),
    # The JSON API for other systems (api/): API keys, idempotency keys, problem bodies.
    path("api/v1/", include("api.urls")),
    # The shop's sign-in (e-mail as user name, guest cart merged); the rest of django.contrib.auth as is.
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("storefront.urls")),
]

# Generated files (invoice PDFs) are never served from MEDIA_URL: they are private, and go out
# only through views that check who is asking (storefront invoice download, admin).
