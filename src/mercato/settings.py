"""Mercato settings: one file, configured through environment variables (12-factor).

With no environment at all, Mercato runs embedded: SQLite in WAL mode under var/,
local-memory cache, Celery tasks run in-process. Production sets DATABASE_URL,
REDIS_URL/CACHE_URL and CELERY_BROKER_URL.
"""

import secrets
from decimal import Decimal
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

env = environ.Env()

PROJECT_DIR = Path(__file__).resolve().parent
BASE_DIR = PROJECT_DIR.parent.parent
VAR_DIR = Path(env.str("MERCATO_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into var/ (never committed)."""
    if env.str("SECRET_KEY", default=""):
        return env.str("SECRET_KEY")
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
BENCH_VIEWS = env.bool("MERCATO_BENCH_VIEWS", default=False)

INSTALLED_APPS = [
    "mercato.staff.admin_site.MercatoAdminConfig",  # Django's admin, for 技术部 only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "auditlog",
    "axes",
    "django_filters",
    "django_htmx",
    "easy_thumbnails",
    # django-ninja as an app: /api/docs loads Swagger UI from the project's static files
    # (ninja/static/ninja/) instead of a CDN, so the docs work offline and in mainland China.
    "ninja",
    "treebeard",
    "mercato.core",
    "mercato.staff",
    "mercato.catalog",
    "mercato.inventory",
    "mercato.customers",
    "mercato.search",
    "mercato.promotions",
    "mercato.payments",
    "mercato.orders",
    "mercato.cart",
    "mercato.checkout",
    "mercato.fulfillment",
    "mercato.aftersales",
    "mercato.reviews",
    "mercato.service",
    "mercato.procurement",
    "mercato.analytics",
    "mercato.storefront",
    "mercato.api",
    "mercato.backoffice",
    "mercato.demo",
]

# Django's and the libraries' middleware; those from core.middleware are the same classes
# with what they did on every request that gave the same result each time done once
# (docs/performance.md, "The fixed cost of a request").
MIDDLEWARE = [
    "mercato.core.middleware.RequestIdMiddleware",
    "mercato.core.middleware.SecurityMiddleware",  # Django's SecurityMiddleware
    # Before sessions and the user: the flash sale's sold-out answer (core.middleware).
    "mercato.core.middleware.EarlyAnswerMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "mercato.core.middleware.ChosenLanguageMiddleware",
    "mercato.core.middleware.CommonMiddleware",  # Django's CommonMiddleware
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mercato.core.middleware.MessageMiddleware",  # Django's MessageMiddleware
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "mercato.core.middleware.HtmxMiddleware",  # django-htmx's, reading META
    "mercato.core.middleware.CSPMiddleware",  # django-csp's
    "mercato.core.middleware.AxesMiddleware",  # django-axes'
]

ROOT_URLCONF = "mercato.urls"
WSGI_APPLICATION = "mercato.wsgi.application"
ASGI_APPLICATION = "mercato.asgi.application"  # HTTP and the live chat's WebSockets
AUTH_USER_MODEL = "core.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PROJECT_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'mercato.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN,
        # so two writers queue instead of failing with "database is locked" mid-transaction.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": env.str("SQLITE_TEST_NAME", default="")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, health-checking only connections idle for a second or more.
        DATABASES["default"]["ENGINE"] = "mercato.core.postgresql"
    # Parameters bound on the server and statements prepared on their 5th run on a
    # connection: PostgreSQL then stops planning them again, which was a third of its time
    # in an order placement (docs/performance.md). Behind a pooler that hands a session's
    # statements to other connections (PgBouncer in transaction mode before 1.21), set
    # PG_PREPARE_THRESHOLD=0 to turn preparing off.
    prepare_threshold = env.int("PG_PREPARE_THRESHOLD", default=5)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=prepare_threshold or None
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache, sessions ------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if env.str("CACHE_URL", default="") == "filecache://":
    # No path: the file cache under var/, shared by every process on this machine (make
    # demo's web, worker and beat); see demo.env.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
elif env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache_url("CACHE_URL")}
elif REDIS_URL:
    CACHES = {"default": {"BACKEND": "mercato.core.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "mercato",
            # Django's default of 300 entries is a few searches' product cards: every page
            # cache would evict itself. 10,000 small fragments are a few tens of MB.
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }
# In the database, read through the cache; working on when the cache is down (core.sessions).
SESSION_ENGINE = "mercato.core.sessions"
# Django's cookie-then-session storage, its cookie signed once a second (core.messages).
MESSAGE_STORAGE = "mercato.core.messages.FallbackStorage"

# Live chat (service/consumers.py): the channel layer carries a conversation's messages
# between the server processes its shopper and agent are connected to. Redis in production;
# without REDIS_URL, in-memory, which reaches only the sockets of one process (so `make demo`
# runs one chat process, the Procfile's `chat`). A socket's queue holds 1,000 events
# (channels' default, 100, dropped "taken" notices when many conversations were accepted
# at once).
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": env.str("CHANNEL_PREFIX", default="chat"),
                "capacity": 1000,
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}
    }

# Where the pages open the live chat's sockets: empty, the page's own host (a proxy sends
# /ws/ to the ASGI service); else the ASGI process's own address, e.g. ws://127.0.0.1:8100
# (`make demo`: the pages are served by gunicorn's WSGI workers, the sockets by the
# Procfile's `chat` process on the next port). The pages may connect there (CSP below).
# A bad value stops the start (system check service.E001).
CHAT_SOCKET_URL = env.str("MERCATO_CHAT_SOCKET_URL", default="").rstrip("/")

# Database timeouts per kind of process, in milliseconds (core.db.use_timeouts): a web
# request never waits long for a row another holds (it answers 503 "busy, try again"
# with Retry-After instead of holding a thread); tasks may wait longer. Management
# commands and migrations keep the database's own (none).
MERCATO_DB_TIMEOUTS = {
    "web": {
        "lock_timeout": env.int("WEB_DB_LOCK_TIMEOUT_MS", default=2000),
        "statement_timeout": env.int("WEB_DB_STATEMENT_TIMEOUT_MS", default=15000),
    },
    "task": {
        "lock_timeout": env.int("TASK_DB_LOCK_TIMEOUT_MS", default=30000),
        "statement_timeout": env.int("TASK_DB_STATEMENT_TIMEOUT_MS", default=600000),
    },
}
MERCATO_BUSY_RETRY_AFTER = 2  # seconds, in the Retry-After of a "busy, try again" answer

# /readyz (core.health): "down" takes the node out of the load balancer (503), "degraded"
# is named with 200 (and 503 under /readyz?deep, for alarms).
MERCATO_READINESS_CHECKS = [
    ("database", "mercato.core.health.check_database", "down"),
    ("cache", "mercato.core.health.check_cache", "degraded"),
    ("broker", "mercato.core.health.check_broker", "degraded"),
    ("workers", "mercato.core.health.check_workers", "degraded"),
    ("outbox", "mercato.core.health.check_outbox", "degraded"),
    ("expiry", "mercato.orders.selectors.check_overdue_orders", "degraded"),
]
MERCATO_WORKER_STALE_SECONDS = env.int("WORKER_STALE_SECONDS", default=60)
MERCATO_OUTBOX_ALARM_SECONDS = env.int("OUTBOX_ALARM_SECONDS", default=120)

# Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# The queue tasks go to and workers take from: sites (or test runs) sharing one broker each
# name their own, so no worker runs another site's tasks against its own database.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
# No broker: run tasks in the calling process (tests, `make run`); there is no worker, no
# beat, so no scheduled job runs. `make demo` runs a worker and beat (Procfile) on kombu's
# file-system broker, "filesystem://": messages are files under var/broker/, shared by the
# processes of one machine, with no Redis or RabbitMQ.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # One folder both ways: every process puts messages in and takes them out there.
        "data_folder_in": str(_broker_dir / "messages"),
        "data_folder_out": str(_broker_dir / "messages"),
        "control_folder": str(_broker_dir / "control"),
        "processed_folder": str(_broker_dir / "processed"),
    }
    for _folder in CELERY_BROKER_TRANSPORT_OPTIONS.values():
        Path(_folder).mkdir(parents=True, exist_ok=True)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_TIMEZONE = "Asia/Shanghai"
# Surviving a broker or worker that goes away (docs/operator.md, "When things fail"):
# a task is acknowledged when it has run, so one held by a worker that died or lost its
# broker is delivered again: every task loads by id and re-checks, so a second run
# changes nothing. On Redis, a message taken but not acknowledged goes back to the queue
# after the visibility timeout, which must exceed the longest countdown (the unpaid-order
# timer, MERCATO_UNPAID_ORDER_MINUTES) or held countdown tasks would be delivered twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "socket_connect_timeout": 2,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # keep trying: a worker never gives up on its broker
CELERY_WORKER_CONSUMER = "mercato.celery:Consumer"  # survives losing Redis (mercato/celery.py)
CELERY_BEAT_SCHEDULE = {  # run with `celery -A mercato beat` beside the worker (docs/operator.md)
    "relay-outbox": {  # work written after commits that the broker could not take (core.outbox)
        "task": "mercato.core.tasks.relay_outbox_task",
        "schedule": 10.0,
        "options": {"expires": 10},  # a worker that was away runs the latest one, not a pile
    },
    "sweep-expired-orders": {  # unpaid orders past their deadline: gateway asked, cancelled
        "task": "mercato.payments.tasks.sweep_expired_orders_task",
        "schedule": 60.0,
    },
    "recompute-popularity": {  # the 销量 sort's units sold (orders/popularity.py)
        "task": "mercato.orders.tasks.recompute_popularity_task",
        "schedule": 3600.0,
    },
    "query-pending-payments": {  # asks the gateway about payments whose notice is late
        "task": "mercato.payments.tasks.query_pending_payments_task",
        "schedule": 180.0,
    },
    "settle-due-refunds": {  # refunds not settled: queried, the same number sent again
        "task": "mercato.payments.tasks.settle_due_refunds_task",
        "schedule": 60.0,
    },
    "close-ended-attempts": {  # open payment attempts of ended orders: closed at the gateway
        "task": "mercato.payments.tasks.close_ended_attempts_task",
        "schedule": 300.0,
    },
    "refresh-wechatpay-certificates": {  # WeChat Pay platform certificates (rotation)
        "task": "mercato.payments.tasks.refresh_wechatpay_certificates_task",
        "schedule": 6 * 3600.0,
    },
    # Order processing (fulfillment/tasks.py): paid orders reviewed and allocated, parcels'
    # tracking asked for, penalties for late, damaged and lost parcels, old nonces purged.
    # Member tiers and points (docs/accounts.md): nightly, run once a day whatever the hour.
    "recalculate-member-tiers": {  # tiers from the last 12 months' spend (payments.membership)
        "task": "mercato.payments.tasks.recalculate_member_tiers_task",
        "schedule": 24 * 3600.0,
    },
    # Each stock row's shipments of the velocity window, kept for the overstock filter
    # (inventory.services.roll_recent_shipped); shipments add to it in between.
    "roll-recent-shipped": {
        "task": "mercato.inventory.tasks.roll_recent_shipped_task",
        "schedule": 24 * 3600.0,
    },
    "points-nightly": {  # expire due points, notice 30 days before, birthday points
        "task": "mercato.customers.tasks.points_nightly_task",
        "schedule": 24 * 3600.0,
    },
    "review-paid-orders": {
        "task": "mercato.fulfillment.tasks.review_orders_task",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
    "allocate-approved-orders": {
        "task": "mercato.fulfillment.tasks.allocate_orders_task",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
    "poll-carrier-tracking": {
        "task": "mercato.fulfillment.tasks.poll_tracking_task",
        "schedule": 1800.0,
        "options": {"expires": 1800},
    },
    "apply-carrier-penalties": {
        "task": "mercato.fulfillment.tasks.apply_penalties_task",
        "schedule": 3600.0,
        "options": {"expires": 3600},
    },
    "purge-webhook-nonces": {
        "task": "mercato.fulfillment.tasks.purge_webhook_nonces_task",
        "schedule": 3600.0,
    },
    # Delivered orders complete MERCATO_AUTO_COMPLETE_DAYS after delivery unless a return is
    # open (aftersales/completion.py); completion earns the order's points.
    "complete-delivered-orders": {
        "task": "mercato.aftersales.tasks.complete_delivered_orders_task",
        "schedule": 3600.0,
        "options": {"expires": 3600},
    },
    # Customer service (service/tasks.py): callbacks the rules call for; last week's QA sample.
    "create-due-callbacks": {
        "task": "mercato.service.tasks.create_due_callbacks_task",
        "schedule": 3600.0,
        "options": {"expires": 3600},
    },
    "sample-qa-week": {
        "task": "mercato.service.tasks.sample_last_week_task",
        "schedule": 6 * 3600.0,
        "options": {"expires": 6 * 3600},
    },
    "close-due-tenders": {  # open tenders past their deadline become closed (procurement)
        "task": "mercato.procurement.tasks.close_due_tenders_task",
        "schedule": 300.0,
        "options": {"expires": 300},
    },
}

# Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "mercato.customers.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "backoffice:login"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "mercato.backoffice.views.lockout_response"  # our log-in page says why
AXES_CLIENT_STR_CALLABLE = "mercato.customers.privacy.axes_client_str"  # no phone in logs
AXES_CLIENT_IP_CALLABLE = "mercato.core.http.client_ip"  # the same client IP as everywhere
# axes looks for its middleware by its dotted path; MIDDLEWARE has axes' class by another
# (core.middleware.AxesMiddleware, a subclass; core/tests/test_middleware.py checks it).
SILENCED_SYSTEM_CHECKS = ["axes.W002"]

# The client's IP (mercato.core.http.client_ip, docs/operator.md "Web server"): the proxies
# in front of gunicorn, one entry per hop (an address or a network), the nearest last. Only
# requests that came through them are judged by X-Forwarded-For; empty: the header is ignored.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
RATELIMIT_IP_META_KEY = "mercato.core.http.client_ip"  # django-ratelimit's "ip" key

# Customer accounts: SMS and email (docs/accounts.md) ------------------------------------------
MERCATO_SMS_BACKEND = env.str(
    "MERCATO_SMS_BACKEND", default="mercato.customers.sms.ConsoleSmsBackend"
)
MERCATO_SMS_FILE = env.str("MERCATO_SMS_FILE", default="")  # console backend: append codes here
MERCATO_SMS_OPTIONS = env.json("MERCATO_SMS_OPTIONS", default={})  # the provider's keys, JSON
MERCATO_CODE_TTL_SECONDS = 300
MERCATO_CODE_MAX_ATTEMPTS = 5
# django-ratelimit rates, counted in the default cache; keys in mercato/core/ratelimit.py.
# Each action is counted per subject (number, email, staff account) and per client IP.
MERCATO_ACCOUNT_RATE_LIMITS = {
    "code_per_number": env.str("RATE_CODE_PER_NUMBER", default="5/h"),
    "code_per_ip": env.str("RATE_CODE_PER_IP", default="20/h"),
    "login_per_number": env.str("RATE_LOGIN_PER_NUMBER", default="10/h"),
    "login_per_ip": env.str("RATE_LOGIN_PER_IP", default="60/h"),
    "staff_login_per_number": env.str("RATE_STAFF_LOGIN_PER_ACCOUNT", default="20/h"),
    "staff_login_per_ip": env.str("RATE_STAFF_LOGIN_PER_IP", default="60/h"),
}
if env.str("EMAIL_URL", default=""):  # smtp+tls://user:password@smtp.example.com:587
    globals().update(env.email_url("EMAIL_URL"))
else:  # no mail server configured: write each message as a file under var/mail
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Mercato <noreply@localhost>")
# Customer service (service.mail): the address customers write to and replies come from;
# a reply within this many days of closing reopens a ticket, a later one opens a new one.
MERCATO_SERVICE_EMAIL = env.str("MERCATO_SERVICE_EMAIL", default="Mercato 客服 <service@localhost>")
MERCATO_TICKET_REOPEN_DAYS = env.int("MERCATO_TICKET_REOPEN_DAYS", default=14)
# Purchase orders (procurement.orders): up to the lead limit a PO needs no approval; above
# it the procurement lead approves; above the finance limit finance approves after the lead.
MERCATO_PO_LEAD_LIMIT = Decimal(env.str("MERCATO_PO_LEAD_LIMIT", default="5000"))
MERCATO_PO_FINANCE_LIMIT = Decimal(env.str("MERCATO_PO_FINANCE_LIMIT", default="50000"))
# Receiving may exceed a PO line by this share of its quantity (0.05: 5%), never more.
MERCATO_PO_OVER_RECEIPT = Decimal(env.str("MERCATO_PO_OVER_RECEIPT", default="0.05"))
# Where `mercato poll_service_mailbox` reads mail: imaps://user:password@host/INBOX.
MERCATO_SERVICE_IMAP_URL = env.str("MERCATO_SERVICE_IMAP_URL", default="")
# Callbacks (service/callbacks.py): days after a delivery, a closed complaint and a completed
# return; sources older than that plus the look-back are left alone; a satisfaction score
# this low or lower opens a follow-up complaint; unanswered calls before giving up; the
# queue (code) whose agents make them, the default queue when empty.
# Days after delivery before an order completes by itself (aftersales/completion.py) when the
# customer has not confirmed receipt (确认收货) and no return is open.
MERCATO_AUTO_COMPLETE_DAYS = env.int("MERCATO_AUTO_COMPLETE_DAYS", default=7)
MERCATO_CALLBACK_DAYS_AFTER_DELIVERY = env.int("MERCATO_CALLBACK_DAYS_AFTER_DELIVERY", default=3)
MERCATO_CALLBACK_DAYS_AFTER_COMPLAINT = env.int("MERCATO_CALLBACK_DAYS_AFTER_COMPLAINT", default=1)
MERCATO_CALLBACK_DAYS_AFTER_RETURN = env.int("MERCATO_CALLBACK_DAYS_AFTER_RETURN", default=2)
MERCATO_CALLBACK_LOOKBACK_DAYS = env.int("MERCATO_CALLBACK_LOOKBACK_DAYS", default=14)
MERCATO_CALLBACK_BAD_SCORE = env.int("MERCATO_CALLBACK_BAD_SCORE", default=2)
MERCATO_CALLBACK_MAX_ATTEMPTS = env.int("MERCATO_CALLBACK_MAX_ATTEMPTS", default=3)
MERCATO_CALLBACK_QUEUE = env.str("MERCATO_CALLBACK_QUEUE", default="")
# Quality review (service/qa.py): the share of each agent's contacts sampled a week, the
# sampler's seed, and the pass mark out of 100.
MERCATO_QA_SAMPLE_SHARE = env.float("MERCATO_QA_SAMPLE_SHARE", default=0.1)
MERCATO_QA_SEED = env.int("MERCATO_QA_SEED", default=0)
MERCATO_QA_PASS_MARK = env.int("MERCATO_QA_PASS_MARK", default=80)

# I18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PROJECT_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# Money ----------------------------------------------------------------------------------
MERCATO_CURRENCY = "CNY"
MERCATO_UNPAID_ORDER_MINUTES = env.int("MERCATO_UNPAID_ORDER_MINUTES", default=30)
# Flash sales (秒杀, promotions.flash): an unpaid flash order is cancelled sooner and its
# units go back on sale; the buy endpoint is rate limited per IP and per account.
MERCATO_FLASH_PAY_MINUTES = env.int("MERCATO_FLASH_PAY_MINUTES", default=10)
# "auto": the Redis gate when the cache is Redis; "database": conditional UPDATEs only.
MERCATO_FLASH_GATE = env.str("MERCATO_FLASH_GATE", default="auto")
MERCATO_FLASH_RATE_LIMITS = {
    "per_ip": env.str("RATE_FLASH_PER_IP", default="30/m"),
    "per_account": env.str("RATE_FLASH_PER_ACCOUNT", default="10/m"),
}
# How long a guest's signed order link works (orders/links.py).
MERCATO_GUEST_LINK_DAYS = env.int("MERCATO_GUEST_LINK_DAYS", default=60)
# After the deadline, a short wait before the gateway is asked and the order expired.
MERCATO_UNPAID_ORDER_GRACE_SECONDS = env.int("MERCATO_UNPAID_ORDER_GRACE_SECONDS", default=60)

# Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every start when it is missing
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20000
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

THUMBNAIL_ALIASES = {
    "": {
        "small": {"size": (120, 120), "crop": "smart"},
        "medium": {"size": (360, 360), "crop": "smart"},
        "large": {"size": (800, 800), "crop": False},
    }
}
THUMBNAIL_EXTENSION = "webp"
THUMBNAIL_TRANSPARENCY_EXTENSION = "webp"
THUMBNAIL_PRESERVE_EXTENSIONS = None
THUMBNAIL_BASEDIR = "thumbs"

# Security -------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CONTENT_SECURITY_POLICY = {
    # Django admin loads its own inline scripts. The API docs page (Swagger UI, served from
    # ninja's static files) has none, so it stays under this policy.
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "connect-src": ["'self'", *([CHAT_SOCKET_URL] if CHAT_SOCKET_URL else [])],
    },
}

# Logging --------------------------------------------------------------------------------
LOG_FORMAT = env.str("LOG_FORMAT", default="text")  # "text" or "json"
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "mercato.core.logging.RequestIdFilter"},
        "expected_refusal": {"()": "mercato.core.logging.ExpectedRefusalFilter"},
    },
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s [%(request_id)s %(client_ip)s] %(name)s: "
            "%(message)s"
        },
        "json": {"()": "mercato.core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # A 4xx is a warning, unless its endpoint marks it expected (core.logging).
        "django.request": {"filters": ["expected_refusal"]},
        "jieba": {"level": "WARNING"},
    },
}

# Audit log (django-auditlog) --------------------------------------------------------------
AUDITLOG_STORE_JSON_CHANGES = True
AUDITLOG_MASK_CALLABLE = "mercato.core.masking.mask_phone"
# An entry's correlation id is the request ID of the request that wrote it (core/logging.py);
# actor and IP come from that request too (core/audit.py), with no audit middleware.
AUDITLOG_CID_GETTER = "mercato.core.logging.current_request_id"
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=True)
