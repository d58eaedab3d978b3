from django.apps import AppConfig


class QinqingConfig(AppConfig):
    name = "qinqing"
    verbose_name = "基础：人员、单位与审计"

    def ready(self) -> None:
        from qinqing import audit, sessions

        audit.connect_axes_signals()
        sessions.connect()
