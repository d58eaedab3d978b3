from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = "工作台账"

    def ready(self) -> None:
        from ledger.panels import dossier_panel
        from projects import panels

        panels.register(dossier_panel)
