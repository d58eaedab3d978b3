"""The one settings module of 亲清帮办. Every environment-dependent value is read here."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from qinqing.env import env_bool, env_choice, env_database, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("QINQING_VAR_DIR", str(BASE_DIR / "var")))

# development: `make run`; test: the test suite; production: a real deployment.
QINQING_ENV = env_choice("QINQING_ENV", ("development", "test", "production"), "development")
PRODUCTION = QINQING_ENV == "production"

_DEV_SECRET = "insecure-development-key-never-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
DEBUG = env_bool("QINQING_DEBUG", QINQING_ENV == "development")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

if PRODUCTION:
    if not SECRET_KEY or SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            "生产模式（QINQING_ENV=production）需要环境变量 SECRET_KEY：至少 50 个字符的随机值，"
            "可用 python -c 'import secrets; print(secrets.token_urlsafe(64))' 生成。"
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "生产模式（QINQING_ENV=production）需要环境变量 ALLOWED_HOSTS，例如 qqbb.jiangbei.gov.cn。"
        )
    if DEBUG:
        raise ImproperlyConfigured("生产模式下不允许 QINQING_DEBUG=true。")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # the widget templates, for FORM_RENDERER below
    "simple_history",
    "django_filters",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    # the second factor: TOTP on the person's phone, and one-time recovery codes (qinqing.second_factor)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "django_htmx",
    "bootstrap",
    "django_tasks",
    "django_tasks_db",
    "qinqing",
    "projects",
    "windows",
    "followups",
    "ledger",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session has passed the second factor
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "qinqing.middleware.SessionPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    # last: its 400 page passes back through every other middleware (headers, CSP, no-store)
    "qinqing.middleware.QueryGuardMiddleware",
]

# One form renderer: every form renders its fields through templates/django/forms/ (label, required mark,
# widget with is-invalid and aria-describedby, help text and errors with the ids it names).
FORM_RENDERER = "qinqing.forms.FormRenderer"

ROOT_URLCONF = "qinqing.urls"
WSGI_APPLICATION = "qinqing.wsgi.application"

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
                "qinqing.context_processors.hall",
                "windows.context_processors.todo",
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", default_sqlite=VAR_DIR / "qinqing.sqlite3")}
if PRODUCTION and not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured(
        "生产模式（QINQING_ENV=production）需要 PostgreSQL：请设置环境变量 DATABASE_URL，例如 "
        "postgres://qinqing_app:密码@127.0.0.1:5432/qinqing（见 docs/deployment.md）。"
    )
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
# The city's staging database (前置库) in the SPGL standard, which the exchange reads and writes
# (projects.exchange, docs/exchange.md). Its tables belong to the city: no migration runs there; for
# `make run` and the tests a local SQLite file (or the PostgreSQL database named here) holds a copy of them.
DATABASES["spgl"] = env_database("SPGL_DATABASE_URL", default_sqlite=VAR_DIR / "spgl.sqlite3")
DATABASES["spgl"]["TEST"] = {"MIGRATE": False}  # (no table of ours there: the tests build the city's)
DATABASE_ROUTERS = ["projects.exchange.staging.StagingRouter"]
# minutes between two exchange runs on the background worker; 0: only when started by hand. In production the
# default is 0 until the district is given its 前置库 (SPGL_DATABASE_URL), so no run fails every ten minutes.
SPGL_EXCHANGE_MINUTES = env_int(
    "QINQING_SPGL_MINUTES", 0 if PRODUCTION and not env_str("SPGL_DATABASE_URL") else 10, minimum=0, maximum=24 * 60
)
# behind pgbouncer in transaction mode a cursor cannot outlive its transaction (docs/deployment.md)
if env_bool("QINQING_DB_POOLER", False):
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- accounts, passwords, sessions -------------------------------------------------------------
AUTH_USER_MODEL = "qinqing.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "ledger:workbench"
LOGOUT_REDIRECT_URL = "login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if QINQING_ENV == "test":
    # Hashing cost is not under test; a fast hasher keeps the suite quick.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "qinqing.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "qinqing.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "qinqing.passwords.NotUsernameValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_MAX_AGE_DAYS = env_int("QINQING_PASSWORD_MAX_AGE_DAYS", 90, minimum=1, maximum=3650)

# Matter warnings: 预警 when due within this many working days, or within this share (%) of the
# committed limit, whichever is longer; 逾期 after the due date.
WARNING_WORKDAYS = env_int("QINQING_WARNING_WORKDAYS", 2, minimum=0, maximum=30)
WARNING_SHARE_PERCENT = env_int("QINQING_WARNING_SHARE_PERCENT", 0, minimum=0, maximum=100)
# Rectifications (整改) opened by a bad rating, a notice or an escalation are due in this many working days.
RECTIFICATION_WORKDAYS = env_int("QINQING_RECTIFICATION_WORKDAYS", 15, minimum=1, maximum=60)
# The applicant's progress look-up: failed tries allowed per address, and per project code, per window.
PROGRESS_LOOKUP_FAILURES = env_int("QINQING_LOOKUP_FAILURES", 10, minimum=1, maximum=1000)
PROGRESS_LOOKUP_WINDOW_MINUTES = env_int("QINQING_LOOKUP_WINDOW_MINUTES", 15, minimum=1, maximum=24 * 60)
# wrong tries of one code from one address (guessing the phone digits); another address is not affected
PROGRESS_LOOKUP_CODE_FAILURES = env_int("QINQING_LOOKUP_CODE_FAILURES", 5, minimum=1, maximum=1000)

SESSION_IDLE_TIMEOUT_MINUTES = env_int("QINQING_SESSION_IDLE_MINUTES", 30, minimum=1, maximum=24 * 60)
# The middleware ends an idle session with a message; the cookie age is the server-side backstop.
# the idle limit, plus the minute by which the activity stamp may lag (qinqing.middleware), so the
# stored session never expires before the idle check can say why
# the session table names each session's account (qinqing.models.StaffSession)
SESSION_ENGINE = "qinqing.session_store"
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_MINUTES * 60 + 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# django-axes: failed sign-ins are slowed per account and address, per account and per address, each
# with its own threshold within the cool-off time (qinqing.login_throttle; decision 2).
AXES_FAILURE_LIMIT = env_int("QINQING_LOCKOUT_FAILURES", 5, minimum=1, maximum=100)
QINQING_ACCOUNT_FAILURE_LIMIT = env_int("QINQING_LOCKOUT_ACCOUNT_FAILURES", 20, minimum=1, maximum=1000)
QINQING_ADDRESS_FAILURE_LIMIT = env_int("QINQING_LOCKOUT_ADDRESS_FAILURES", 20, minimum=1, maximum=1000)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("QINQING_LOCKOUT_MINUTES", 30, minimum=1, maximum=24 * 60))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username", "ip_address"]
AXES_HANDLER = "qinqing.login_throttle.LoginThrottleHandler"
# the client's address as the audit log takes it: behind the hall's proxy, the workstation's
AXES_CLIENT_IP_CALLABLE = "qinqing.audit.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "qinqing.views.auth.lockout_response"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# The second factor (等保三级 8.1.4.1; qinqing.second_factor): required of these roles, optional for the rest.
# A wrong code makes the next try wait (django-otp: 1, 2, 4 … seconds); this many wrong codes in one
# session end it, and the password must be entered again.
TWO_FACTOR_REQUIRED_ROLES = ("admin", "auditor", "office")
TWO_FACTOR_SESSION_FAILURES = env_int("QINQING_2FA_FAILURES", 5, minimum=1, maximum=100)
OTP_TOTP_ISSUER = "亲清帮办"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# --- security headers ------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "qinqing.views.errors.csrf_failure"
# Behind nginx: the client's address is the last one nginx appended to X-Forwarded-For.
BEHIND_PROXY = env_bool("QINQING_BEHIND_PROXY", False)
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("QINQING_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("QINQING_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if BEHIND_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# Long exports run in the background (django-tasks, database backend): the worker is
# `manage.py db_worker` (started by `make run`; a systemd service in production, docs/deployment.md).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# a ledger Excel export of more projects than this is made in the background, with a progress bar
BACKGROUND_EXPORT_PROJECTS = env_int("QINQING_BACKGROUND_EXPORT_PROJECTS", 2000, minimum=0, maximum=1_000_000)

# --- SMS to applicants (qinqing/sms.py): queued in the database, sent by the background worker ----------
# The gateway: "file" (development: var/sms/outbox.jsonl and the log), "console" (the log only; the
# tests), "http" (a provider's API: JSON posted to QINQING_SMS_URL), "disabled" (every message fails,
# saying why: production until a gateway is configured), or the dotted path of a backend class.
SMS_BACKEND = env_str(
    "QINQING_SMS_BACKEND", {"development": "file", "test": "console", "production": "disabled"}[QINQING_ENV]
)
SMS_URL = env_str("QINQING_SMS_URL")
SMS_KEY = env_str("QINQING_SMS_KEY")
SMS_TIMEOUT_SECONDS = env_int("QINQING_SMS_TIMEOUT", 10, minimum=1, maximum=120)
# tries per message: the first retry a minute later, each later one four times longer (1, 4, 16, 64 min)
SMS_MAX_ATTEMPTS = 5
SMS_RETRY_SECONDS = 60
if "." not in SMS_BACKEND and SMS_BACKEND not in ("file", "console", "http", "disabled"):
    raise ImproperlyConfigured(
        f"环境变量 QINQING_SMS_BACKEND={SMS_BACKEND!r} 无效；可选值：file、console、http、disabled，或短信通道类的完整路径。"
    )
if SMS_BACKEND in ("http", "qinqing.sms.HttpBackend"):
    if not SMS_URL.startswith(("https://", "http://")):
        raise ImproperlyConfigured(
            "短信通道为 http 时需要环境变量 QINQING_SMS_URL，例如 https://sms.example.cn/api/send。"
        )
    if PRODUCTION and not SMS_URL.startswith("https://"):
        raise ImproperlyConfigured("生产模式下 QINQING_SMS_URL 必须使用 https://。")

# --- language, time ---------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static files ---------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Issued exports and uploaded ledgers: never served as static files, only through views that check
# who may download them. Back up this directory with the database (docs/deployment.md).
MEDIA_ROOT = Path(env_str("QINQING_MEDIA_ROOT", str(VAR_DIR / "media")))
# the key backups are encrypted with: kept apart from them (default var/backup.key; see docs/backup.md)
BACKUP_KEY_FILE = env_str("QINQING_BACKUP_KEY_FILE", "") or None
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production the files are served straight from the apps, without collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Autorefresh looks files up per request instead of indexing every file at start-up; the test client
# starts a new handler (and so a new index) for every Client, which made each test ~0.1 s slower.
WHITENOISE_AUTOREFRESH = DEBUG or QINQING_ENV == "test"

# --- the hall -----------------------------------------------------------------------------------------------
HALL_NAME = env_str("QINQING_HALL_NAME", "江北区工程建设项目审批服务大厅")
# what the public look-up page tells applicants: where to come, when, and whom to call
HALL_PHONE = env_str("QINQING_HALL_PHONE", "12345（重庆市政务服务便民热线）")
HALL_ADDRESS = env_str("QINQING_HALL_ADDRESS", "重庆市江北区政务服务中心 工程建设项目审批服务专区")
HALL_HOURS = env_str("QINQING_HALL_HOURS", "法定工作日 上午 9:00—12:00，下午 13:30—17:00")
SYSTEM_NAME = "亲清帮办"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # phone and ID numbers are masked in every log line (see qinqing.masking.MaskingLogFilter)
    "filters": {"mask_personal_data": {"()": "qinqing.masking.MaskingLogFilter"}},
    # every line: local time, level, logger, message (a line alone tells when, how bad and from where)
    "formatters": {
        "line": {"format": "{asctime} {levelname} {name} {message}", "style": "{", "datefmt": "%Y-%m-%d %H:%M:%S%z"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_personal_data"], "formatter": "line"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("QINQING_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO"),
    },
    "loggers": {
        "axes": {"level": "WARNING"},
        # the development server's request lines, query strings included, through the same masking
        # (Django's own handler for them has no filter)
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # WeasyPrint and fontTools report every rendering step at INFO
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
