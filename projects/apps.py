from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "项目档案"

    def ready(self) -> None:
        from projects import deadlines, rules  # noqa: F401  (signal receiver, object permissions)
        from projects import handover as project_handover
        from qinqing import handover

        handover.register(project_handover.PROVIDER)  # a leaving specialist's projects
