from django.apps import AppConfig


class WindowsConfig(AppConfig):
    name = "windows"
    verbose_name = "阶段窗口"

    def ready(self) -> None:
        from projects import panels
        from windows import rules  # noqa: F401  (object permissions)
        from windows.panels import dossier_panel

        panels.register(dossier_panel)

        from qinqing import handover
        from windows.handover import PROVIDER

        handover.register(PROVIDER)  # a leaving window clerk's 首问 stages
