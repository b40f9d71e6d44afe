"""Our lean NHS.UK tag renders the library's element: the same tag name, classes, text and no other attribute."""
import re

import pytest

COLOURS = ["white", "red", "orange"]


def _squeezed(html: str) -> str:
    """Markup with the whitespace a browser collapses inside an inline element taken out."""
    return re.sub(r"\s*([<>])\s*", r"\1", re.sub(r"\s+", " ", str(html))).strip()


@pytest.mark.parametrize("colour", COLOURS)
@pytest.mark.parametrize("text", ["3 days 2 h overdue", "Housing & <instability>", "  Back from clarification "])
def test_our_tag_is_the_nhs_tag(app, text, colour):
    env = app.jinja_env
    ours = env.get_template("components/tag.html").module.tag(text, colour)
    theirs = env.get_template("nhsuk/components/tag/macro.jinja").module.tag(
        {"text": text, "classes": f"nhsuk-tag--{colour}"})
    assert _squeezed(ours) == _squeezed(theirs)
    assert "&lt;instability&gt;" in ours or "<" not in text, "the text is escaped"
