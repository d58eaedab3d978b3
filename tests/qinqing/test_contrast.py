"""The three warning badges ({% warning_badge %}: 正常, 预警, 逾期) reach WCAG 2.x AA contrast for text
(4.5:1), computed from the colours in static/qinqing/qinqing.css, the stylesheet every page loads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from qinqing.templatetags.qinqing_tags import _BADGES, warning_badge

CSS = Path(settings.BASE_DIR, "static", "qinqing", "qinqing.css")
AA_TEXT = 4.5


def _luminance(hex_colour: str) -> float:
    value = hex_colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _declarations(css: str, selector: str) -> dict[str, str]:
    """The declarations of the (last) rule for exactly ``selector``."""
    rules = re.findall(r"(?:^|})\s*" + re.escape(selector) + r"\s*\{([^}]*)\}", css, re.M)
    assert rules, f"no rule for {selector}"
    return {
        name.strip(): value.split("/*")[0].strip()
        for name, value in (
            part.split(":", 1) for part in re.sub(r"/\*.*?\*/", "", rules[-1]).split(";") if ":" in part
        )
    }


def _resolve(value: str, variables: dict[str, str]) -> str:
    match = re.fullmatch(r"var\((--[\w-]+)\)", value)
    value = variables[match.group(1)] if match else value
    assert re.fullmatch(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?", value), f"not a hex colour: {value}"
    return value


def test_contrast_formula_matches_known_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#b8860b", "#ffffff") < AA_TEXT  # the old 预警 amber: 3.3:1, too faint


@pytest.mark.parametrize("state", sorted(_BADGES))
def test_each_warning_badge_is_readable(state):
    css = CSS.read_text(encoding="utf-8")
    variables = _declarations(css, ":root")
    css_class = _BADGES[state]
    # the badge the tag renders carries this class
    assert f'class="badge {css_class}"' in warning_badge(state)
    rule = _declarations(css, f".{css_class}")
    background = _resolve(rule["background"], variables)
    text = _resolve(rule["color"], variables)
    ratio = contrast(background, text)
    assert ratio >= AA_TEXT, f"{state}: {text} on {background} is {ratio:.2f}:1, below {AA_TEXT}:1"
