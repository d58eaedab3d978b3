"""Reading back the Excel files the system writes, as a spreadsheet shows them."""

from __future__ import annotations


def shown_fill(cell) -> str | None:
    """The fill colour (RRGGBB) a spreadsheet shows on ``cell``: its own solid fill, else that of the
    first conditional-formatting rule ``value equals "…"`` of a range holding it that its value
    meets (the only kind of rule the exports write), or None."""
    if cell.fill is not None and cell.fill.fill_type == "solid":
        return cell.fill.fgColor.rgb[-6:]
    for formatting in cell.parent.conditional_formatting:
        if cell.coordinate not in formatting.sqref:
            continue
        for rule in formatting.rules:
            assert (rule.type, rule.operator) == ("cellIs", "equal"), rule
            if cell.value is not None and rule.formula == [f'"{cell.value}"']:
                return rule.dxf.fill.bgColor.rgb[-6:]
    return None
