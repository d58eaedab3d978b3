"""Demo data of the dossier part: the matter catalogue."""

from projects.catalogue import load_catalogue


def seed(stdout) -> None:
    report = load_catalogue()
    stdout.write(f"事项目录：新建事项 {report.matters_created} 个，已有 {report.matters_kept} 个")
