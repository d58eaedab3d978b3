from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = "督查回访"

    def ready(self) -> None:
        from followups.panels import dossier_panel
        from followups.todo import followup_specs
        from projects import panels
        from windows import todo

        panels.register(dossier_panel)
        todo.register(followup_specs)
