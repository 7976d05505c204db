"""Settings of the minimal floor project: Django's defaults, nothing Mercato adds.

The database connection is configured as Mercato's (persistent connections, parameters
bound on the server, statements prepared on their fifth run): the floor differs from
Mercato's bare view only in the stack, not in what PostgreSQL is asked to do.
"""

import os

import environ

SECRET_KEY = os.environ.get("SECRET_KEY", "bench-floor-only-not-a-secret-0123456789abcdef")
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["floor"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "floor.urls"
WSGI_APPLICATION = "floor.wsgi.application"
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DATABASES = {"default": environ.Env().db_url("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = 60
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    threshold = int(os.environ.get("PG_PREPARE_THRESHOLD", "5"))
    DATABASES["default"]["OPTIONS"] = {
        "server_side_binding": True,
        "prepare_threshold": threshold or None,
    }
LOGGING_CONFIG = None  # no logging set-up at all: nothing is logged per request
