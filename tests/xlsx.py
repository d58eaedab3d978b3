"""Reading back the Excel files the system writes, as a spreadsheet shows them."""

from __future__ import annotations


def _rules_at(cell):
    for formatting in cell.parent.conditional_formatting:
        if cell.coordinate in formatting.sqref:
            yield from formatting.rules


def shown_fill(cell) -> str | None:
    """The fill colour (RRGGBB) a spreadsheet shows on ``cell``: its own solid fill, else that of the
    first conditional-formatting rule ``value equals "…"`` of a range holding it that its value
    meets (the only kind of rule with a fill the exports write), or None."""
    if cell.fill is not None and cell.fill.fill_type == "solid":
        return cell.fill.fgColor.rgb[-6:]
    for rule in _rules_at(cell):
        if rule.dxf is None or rule.dxf.fill is None:
            continue  # the table's borders
        assert (rule.type, rule.operator) == ("cellIs", "equal"), rule
        if cell.value is not None and rule.formula == [f'"{cell.value}"']:
            return rule.dxf.fill.bgColor.rgb[-6:]
    return None


def shown_border(cell) -> set[str]:
    """The sides of ``cell`` a spreadsheet draws a line on: its own border, or that of an unconditional
    rule (formula TRUE) of a range holding it, the way the exports draw the table's thin lines."""
    sides = {"left", "right", "top", "bottom"}
    own = {side for side in sides if getattr(cell.border, side).style}
    for rule in _rules_at(cell):
        if rule.type == "expression" and rule.formula == ["TRUE"] and rule.dxf.border is not None:
            own |= {side for side in sides if getattr(rule.dxf.border, side).style == "thin"}
    return own
