"""Settings shared by every environment. Everything configurable is read through `env`."""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "orders_site.core.admin_site.ConsoleAdminConfig",  # django.contrib.admin with the console's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_fsm",
    "axes",
    "csp",
    "orders_site.core",
    "webhooks",
    "inventory",
    "orders",
    "invoicing",
    "feedback",
    "lifecycle",
    "reports",
    "storefront",
    "hooks",
    "api",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so static files (SVGs too) carry the policies as well.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "orders_site.core.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "orders_site.urls"
WSGI_APPLICATION = "orders_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "storefront.context_processors.cart_summary",
            ],
        },
    },
]
# Django's widget HTML written without its widget templates (orders_site/core/form_rendering.py).
FORM_RENDERER = "orders_site.core.form_rendering.FastWidgetRenderer"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE makes concurrent writers queue for the lock instead of failing on upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "storefront:account"
LOGOUT_REDIRECT_URL = "storefront:catalogue"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE", default="Europe/Amsterdam")
USE_I18N = True
# The shop's own en-gb formats: 24-hour times (orders_site/formats/en_GB/formats.py).
FORMAT_MODULE_PATH = ["orders_site.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# Generated files (invoice PDFs, exports) go through the storage API: a local folder by default,
# an S3-compatible bucket when AWS_STORAGE_BUCKET_NAME is set (needs django-storages installed).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if env("AWS_STORAGE_BUCKET_NAME", default=""):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "access_key": env("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env("AWS_SECRET_ACCESS_KEY", default=None),
        },
    }

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Orders <orders@example.com>")
# Seconds one SMTP operation may block (Django's default is forever, which would hold an e-mail's
# send claim, below, for as long as the task's hard time limit).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

# Celery: with REDIS_URL the tasks go to workers; without it they run in-process (embedded default).
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task a worker has taken stays invisible on Redis until the worker acknowledges it (after it
# finished: acks_late). When the whole worker dies (its machine, or kill -9 of the parent and its
# children) nothing rejects the task, and Redis hands it to another worker only once the
# visibility timeout has passed since it was taken; a worker looks for such tasks every 10 s
# (unacked_restore_interval, with the throttle at 1 so every look scans). So a lost task runs
# again at most CELERY_VISIBILITY_TIMEOUT + 10 s after it was taken. The timeout must be longer
# than a task can stay taken in a healthy worker, or Redis hands out a second copy of it: the
# longest time limit (CELERY_TASK_TIME_LIMIT; per-task limits are lower) plus the longest retry
# countdown, because a retry is a new message that the worker holds, taken, until its countdown
# ends (at most 160 s: 10 s doubled per retry, five retries). The worker warns at start when a
# task's time limit does not fit (orders_site/celery.py).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 300),
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
    # A publish (after commit, robust) gives up within seconds while Redis is down or hung
    # instead of holding the page for ever (kombu waits without limit by default); the beat
    # sweeps queue again what was not sent. Above BRPOP's 1 s poll, so workers are not cut off.
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# Run one `celery beat` beside the workers: it re-queues work that a lost task or a broker outage
# left undone (outbox e-mails, invoice PDFs, card captures) once it is RECOVERY_SWEEP_AFTER_SECONDS
# overdue, looking every RECOVERY_SWEEP_INTERVAL_SECONDS; so such work is done at most the sum of
# the two after it was due. Each re-queued task checks whether it is still needed.
RECOVERY_SWEEP_INTERVAL_SECONDS = env.int("RECOVERY_SWEEP_INTERVAL_SECONDS", default=60)
RECOVERY_SWEEP_AFTER_SECONDS = env.int("RECOVERY_SWEEP_AFTER_SECONDS", default=120)
CELERY_BEAT_SCHEDULE = {
    "resend-pending-emails": {
        "task": "lifecycle.tasks.notifications_resend_pending",
        "schedule": float(RECOVERY_SWEEP_INTERVAL_SECONDS),
    },
    "requeue-missing-invoice-pdfs": {
        "task": "invoicing.tasks.invoice_pdfs_requeue_missing",
        "schedule": float(RECOVERY_SWEEP_INTERVAL_SECONDS),
    },
    "requeue-missing-credit-note-pdfs": {
        "task": "invoicing.tasks.credit_note_pdfs_requeue_missing",
        "schedule": float(RECOVERY_SWEEP_INTERVAL_SECONDS),
    },
    "capture-stale-card-payments": {
        "task": "invoicing.tasks.payment_captures_requeue_stale_task",
        "schedule": float(RECOVERY_SWEEP_INTERVAL_SECONDS),
    },
    "requeue-stale-card-refunds": {
        "task": "invoicing.tasks.refunds_requeue_stale_task",
        "schedule": float(RECOVERY_SWEEP_INTERVAL_SECONDS),
    },
    "fill-waiting-backorders": {"task": "lifecycle.tasks.stock_backorders_sweep", "schedule": 900.0},
    "expire-store-credit": {"task": "invoicing.tasks.store_credit_expire_due_task", "schedule": 3600.0},
    # Payment reminders: hourly, so a reminder goes out the morning it is due whatever time beat
    # started; each is sent once (invoicing.services.reminders).
    "send-payment-reminders": {"task": "invoicing.tasks.reminders_send_due_task", "schedule": 3600.0},
    # The dashboard's daily roll-up (reports.rollup), nightly; expired export files, hourly.
    "rebuild-report-rollup": {"task": "reports.tasks.rollup_rebuild_task", "schedule": crontab(hour=2, minute=15)},
    "sweep-export-jobs": {"task": "reports.tasks.export_jobs_sweep_task", "schedule": 900.0},
    # Idempotency-Key answers are kept API_IDEMPOTENCY_HOURS (api.idempotency).
    "expire-idempotency-keys": {"task": "api.tasks.idempotency_records_expire_task", "schedule": 3600.0},
    # CSV order imports a lost task or a broker outage left unfinished (lifecycle.order_import).
    "resume-order-imports": {
        "task": "lifecycle.tasks.order_imports_requeue_stale_task",
        "schedule": float(RECOVERY_SWEEP_INTERVAL_SECONDS),
    },
    # Webhook retries that are due (and first posts a broker outage kept from being queued).
    "send-due-webhooks": {
        "task": "webhooks.tasks.webhook_deliveries_queue_due_task",
        "schedule": float(RECOVERY_SWEEP_INTERVAL_SECONDS),
    },
    "mark-overdue-payment-standings": {
        "task": "invoicing.tasks.payment_standings_mark_overdue_task",
        "schedule": 3600.0,
    },
}
# An e-mail is claimed (committed) before it goes to the mail server. While the claim is younger
# than this, no other worker sends it; after it, the claimer is taken to be dead and the e-mail
# goes out again with the same Message-ID. Longer than a send can take: EMAIL_TIMEOUT per SMTP
# step, and the task is killed at CELERY_TASK_TIME_LIMIT anyway.
NOTIFICATION_CLAIM_SECONDS = env.int("NOTIFICATION_CLAIM_SECONDS", default=600)

# While Redis is down or hung a cache call gives up within half a second (redis-py waits 5 s per
# call by default) and its callers carry on without it (orders_site/core/throttle.py).
REDIS_CACHE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions: with Redis, read from the cache and written through to the database (cached_db), so a
# request costs no session query and a Redis restart loses nothing; a cache that cannot be reached
# falls back to the database (orders_site/core/sessions.py). Not signed cookies: a signed-out or
# stolen session must end on the server, and the checkout's address need not travel with every
# request. Without Redis the cache is per process (locmem), which would serve one worker's stale
# copy of a session another worker changed, so sessions stay in the database alone.
SESSION_ENGINE = "orders_site.core.sessions" if REDIS_URL else "django.contrib.sessions.backends.db"

# Login throttling (django-axes): lock an account+address pair after repeated failures, and an
# address after many failures over all accounts.
# Client addresses for the login and guest look-up throttles: behind N trusted proxies (the TLS
# proxy in front of gunicorn) the N-th X-Forwarded-For entry from the right, else REMOTE_ADDR
# only, so a forged header never hides anyone (orders_site/core/client_address.py). Not ipware:
# in strict mode it drops a header longer than the proxy chain, which a client's own forged entry
# makes, and falls back to the proxy's address, putting that client in the proxy's bucket.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "orders_site.core.client_address.client_address"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Password spraying (a few tries on many user names from one address): a second, higher limit on
# the failures of one client address over all user names, in the same cool-off. axes has one
# threshold for every lockout parameter, so this handler adds it (see its docstring for why).
AXES_HANDLER = "orders_site.core.sign_in_throttle.PairAndAddressHandler"
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=20)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Content-Security-Policy (django-csp; Django 5.2 has no built-in CSP): the shop and the admin
# load everything from this site, and no page has an inline script or style, so neither
# 'unsafe-inline' nor a nonce is needed. Django's own admin templates have no inline scripts; its
# one inline <style> (change_list.html, only when a ModelAdmin turns actions off both at the top
# and the bottom) is kept out by a test. data: is for the blank favicon in base.html.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Permissions-Policy (django-permissions-policy): the shop uses none of these browser features,
# so no page, nor anything injected into one, may ask for them.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# Guest order lookup (order number + e-mail): failed tries allowed per client address and window.
GUEST_LOOKUP_MAX_ATTEMPTS = env.int("GUEST_LOOKUP_MAX_ATTEMPTS", default=10)
GUEST_LOOKUP_WINDOW_SECONDS = env.int("GUEST_LOOKUP_WINDOW_SECONDS", default=900)

# Stock movements: the most units one receipt, adjustment or write-off line may move (a typo's
# ceiling, far below what the columns hold), and the receipt line size that asks to be confirmed.
STOCK_MOVEMENT_MAX_QUANTITY = env.int("STOCK_MOVEMENT_MAX_QUANTITY", default=100_000)
STOCK_RECEIPT_CONFIRM_ABOVE = env.int("STOCK_RECEIPT_CONFIRM_ABOVE", default=1_000)

# Merchant settings.
SHOP_NAME = env("SHOP_NAME", default="Demo Shop")
SHOP_ADDRESS = env("SHOP_ADDRESS", default="Keizersgracht 1, 1015 CJ Amsterdam, NL")
# The seller's country (ISO 3166 alpha-2) in structured e-invoices (Factur-X).
SHOP_COUNTRY = env("SHOP_COUNTRY", default="NL")
# Returns (issue 13): days after delivery a customer may ask to send goods back, and when the
# delivery fee is credited with them ("all": when everything delivered comes back, "never", "always").
RETURN_WINDOW_DAYS = env.int("RETURN_WINDOW_DAYS", default=30)
RETURN_CREDITS_DELIVERY_FEE = env("RETURN_CREDITS_DELIVERY_FEE", default="all")
SHOP_VAT_NUMBER = env("SHOP_VAT_NUMBER", default="NL000000000B01")
SHOP_BASE_URL = env("SHOP_BASE_URL", default="http://127.0.0.1:8000")
# Where a bank transfer goes (order page, order e-mail, invoice). The IBAN and BIC are checked at
# start-up (orders/checks.py); the defaults are the well-known valid example IBAN, not a real account.
SHOP_ACCOUNT_HOLDER = env("SHOP_ACCOUNT_HOLDER", default=SHOP_NAME)
SHOP_IBAN = env("SHOP_IBAN", default="NL91ABNA0417164300")
SHOP_BIC = env("SHOP_BIC", default="ABNANL2A")
# The seller's chamber of commerce / company register number, printed on invoices when set.
SHOP_COMPANY_REGISTRATION = env("SHOP_COMPANY_REGISTRATION", default="")
# Warehouse: days from placement to the promised dispatch date when the
# customer asked for no delivery date (orders.dispatch).
DISPATCH_HANDLING_DAYS = env.int("DISPATCH_HANDLING_DAYS", default=2)
CURRENCY = env("CURRENCY", default="EUR")
PRICES_INCLUDE_TAX_DISPLAY = env.bool("PRICES_INCLUDE_TAX_DISPLAY", default=True)
INVOICE_NUMBER_PREFIX = env("INVOICE_NUMBER_PREFIX", default="INV-")
# Credit notes have their own gapless sequence per year: <prefix><year>-<000001>.
CREDIT_NOTE_NUMBER_PREFIX = env("CREDIT_NOTE_NUMBER_PREFIX", default="CN-")
DEFAULT_PAYMENT_TERMS_DAYS = env.int("DEFAULT_PAYMENT_TERMS_DAYS", default=14)
FEEDBACK_LINK_MAX_AGE_DAYS = env.int("FEEDBACK_LINK_MAX_AGE_DAYS", default=60)
# Quotes: how long one is valid unless staff choose another date, and the longest they may choose.
QUOTE_DEFAULT_VALID_DAYS = env.int("QUOTE_DEFAULT_VALID_DAYS", default=14)
QUOTE_MAX_VALID_DAYS = env.int("QUOTE_MAX_VALID_DAYS", default=90)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# Card payments go through this class (see invoicing/gateways.py); the test gateway ships with us.
PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", default="invoicing.gateways.TestGateway")
# When money authorised at checkout (card, store credit) is captured: "invoice" (when the invoice is
# issued, at delivery) or "release" (prepaid: when the order is released to the warehouse; the
# invoice is then paid as it is issued, and cancelling refunds what was captured).
CARD_CAPTURE_AT = env("CARD_CAPTURE_AT", default="invoice")
# Prepaid customers (payment terms "prepaid") paying by bank transfer: their order waits for the
# money before it goes to the warehouse ("Waiting for payment before release"); the invoice issued at
# delivery is then paid as it is issued. Off: they pay the invoice after delivery, like account customers.
BANK_TRANSFER_BEFORE_RELEASE = env.bool("BANK_TRANSFER_BEFORE_RELEASE", default=False)
# The invoicing policy: orders paid with these methods are invoiced at order (as they go to the
# warehouse) instead of at delivery, e.g. "card,store_credit"; a customer's own choice ("Invoice" on
# the customer's page) overrides it. Cash on delivery is always invoiced at delivery.
# The JSON API (api/): Django REST framework with API keys, scopes and a throttle per key, errors as
# RFC 9457 problems, the OpenAPI document from drf-spectacular (Swagger UI and Redoc served from
# this site: drf-spectacular-sidecar, no CDN).
API_THROTTLE_RATE = env("API_THROTTLE_RATE", default="600/min")
API_IDEMPOTENCY_HOURS = env.int("API_IDEMPOTENCY_HOURS", default=24)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.authentication.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiKeyThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": API_THROTTLE_RATE},
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Orders API",
    "DESCRIPTION": (
        "Orders, stock, shipments and invoices for other systems. Authenticate with "
        "`Authorization: Bearer <API key>` (keys are made by a manager in the console, with scopes). "
        "Send an `Idempotency-Key` header with every POST. Errors are RFC 9457 problem details."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Fields named alike with different choices get names of their own in the document.
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.Order.Status",
        "ShipmentStatusEnum": "orders.models.Shipment.Status",
        "OrderPaymentMethodEnum": "orders.models.Order.PaymentMethod",
        "ApiPaymentMethodEnum": "api.serializers.API_PAYMENT_METHOD_CHOICES",
    },
}

# CSV order import (lifecycle.order_import): files of more rows than ORDER_IMPORT_ROWS_IN_REQUEST
# are placed by the worker, with progress; ORDER_IMPORT_BATCH orders are placed per transaction (so
# stock rows are never locked for long); at most ORDER_IMPORT_MAX_ROWS rows and ORDER_IMPORT_MAX_MB
# megabytes in one file.
ORDER_IMPORT_ROWS_IN_REQUEST = env.int("ORDER_IMPORT_ROWS_IN_REQUEST", default=500)
ORDER_IMPORT_BATCH = env.int("ORDER_IMPORT_BATCH", default=100)
ORDER_IMPORT_MAX_ROWS = env.int("ORDER_IMPORT_MAX_ROWS", default=50_000)
ORDER_IMPORT_MAX_MB = env.int("ORDER_IMPORT_MAX_MB", default=20)
# One worker task places orders for this long, then queues the rest (under CELERY_TASK_SOFT_TIME_LIMIT);
# a running import without progress for ORDER_IMPORT_STALE_SECONDS is taken to be lost and resumed.
ORDER_IMPORT_TASK_SECONDS = env.int("ORDER_IMPORT_TASK_SECONDS", default=150)
ORDER_IMPORT_STALE_SECONDS = env.int("ORDER_IMPORT_STALE_SECONDS", default=600)

# Outbound webhooks (webhooks/): each post waits at most WEBHOOK_TIMEOUT_SECONDS for the receiver;
# a failed one is retried after WEBHOOK_FIRST_RETRY_SECONDS, doubling, at most
# WEBHOOK_MAX_RETRY_INTERVAL_SECONDS apart, for WEBHOOK_RETRY_HOURS; then it is given up and the
# subscription turned off (managers get an e-mail). WEBHOOK_REQUIRE_HTTPS refuses http:// receivers
# (on in production).
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", default=10)
WEBHOOK_FIRST_RETRY_SECONDS = env.int("WEBHOOK_FIRST_RETRY_SECONDS", default=30)
WEBHOOK_MAX_RETRY_INTERVAL_SECONDS = env.int("WEBHOOK_MAX_RETRY_INTERVAL_SECONDS", default=4 * 3600)
WEBHOOK_RETRY_HOURS = env.int("WEBHOOK_RETRY_HOURS", default=24)
WEBHOOK_REQUIRE_HTTPS = env.bool("WEBHOOK_REQUIRE_HTTPS", default=False)

# Reports (the manager's dashboard and exports): an export of more rows than this runs in the
# worker (with progress, and an e-mail with the link); the worker's files are deleted after this many
# hours; the nightly roll-up rebuilds this many days (orders can be edited or cancelled after the day).
REPORTS_EXPORT_ROWS_IN_REQUEST = env.int("REPORTS_EXPORT_ROWS_IN_REQUEST", default=20000)
REPORTS_EXPORT_KEEP_HOURS = env.int("REPORTS_EXPORT_KEEP_HOURS", default=72)
REPORTS_ROLLUP_DAYS = env.int("REPORTS_ROLLUP_DAYS", default=90)
INVOICE_AT_ORDER_PAYMENT_METHODS = env.list("INVOICE_AT_ORDER_PAYMENT_METHODS", default=[])
