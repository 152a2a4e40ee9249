"""Settings shared by every environment. Everything configurable is read through `env`."""

from pathlib import Path

import environ

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
    "orders_site.core",
    "inventory",
    "orders",
    "invoicing",
    "feedback",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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
                "orders.context_processors.cart_summary",
            ],
        },
    },
]

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
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Run one `celery beat` beside the workers: it re-queues work a lost task or a broker outage left
# undone (outbox e-mails, invoice PDFs). Each re-queued task checks whether it is still needed.
CELERY_BEAT_SCHEDULE = {
    "resend-pending-emails": {"task": "orders.tasks.notifications_resend_pending", "schedule": 300.0},
    "requeue-missing-invoice-pdfs": {"task": "invoicing.tasks.invoice_pdfs_requeue_missing", "schedule": 300.0},
    "capture-stale-card-payments": {"task": "invoicing.tasks.payment_captures_requeue_stale", "schedule": 300.0},
    "fill-waiting-backorders": {"task": "inventory.tasks.stock_backorders_sweep", "schedule": 900.0},
}

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Login throttling (django-axes): lock an account+address pair after repeated failures.
# Client addresses for the login and guest look-up throttles: behind N trusted proxies (the TLS
# proxy in front of gunicorn) the client is read from X-Forwarded-For, else REMOTE_ADDR only, so
# a forged header never hides anyone.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# ipware counts the proxies listed in the header: the last of N proxies appends the client's
# address after N - 1 others, and what a client sends itself stays to the left, ignored.
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1 if TRUSTED_PROXY_COUNT else None
AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if TRUSTED_PROXY_COUNT else ("REMOTE_ADDR",)
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

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
SHOP_VAT_NUMBER = env("SHOP_VAT_NUMBER", default="NL000000000B01")
SHOP_BASE_URL = env("SHOP_BASE_URL", default="http://127.0.0.1:8000")
CURRENCY = env("CURRENCY", default="EUR")
PRICES_INCLUDE_TAX_DISPLAY = env.bool("PRICES_INCLUDE_TAX_DISPLAY", default=True)
INVOICE_NUMBER_PREFIX = env("INVOICE_NUMBER_PREFIX", default="INV-")
DEFAULT_PAYMENT_TERMS_DAYS = env.int("DEFAULT_PAYMENT_TERMS_DAYS", default=14)
FEEDBACK_LINK_MAX_AGE_DAYS = env.int("FEEDBACK_LINK_MAX_AGE_DAYS", default=60)

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
