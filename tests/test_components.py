"""Our lean NHS.UK components render the library's markup: the same elements, classes, attributes and text, the
whitespace a browser collapses aside."""
import re
from types import SimpleNamespace

import pytest
from markupsafe import Markup


def _squeezed(html: str) -> str:
    return re.sub(r"\s*([<>])\s*", r"\1", re.sub(r"\s+", " ", str(html))).strip()


def _macro(app, template: str, name: str):
    return getattr(app.jinja_env.get_template(template).module, name)


@pytest.mark.parametrize("colour", ["white", "red", "orange"])
@pytest.mark.parametrize("text", ["3 days 2 h overdue", "Housing & <instability>", "  Back from clarification "])
def test_our_tag_is_the_nhs_tag(app, text, colour):
    ours = _macro(app, "components/tag.html", "tag")(text, colour)
    theirs = _macro(app, "nhsuk/components/tag/macro.jinja", "tag")({"text": text, "classes": f"nhsuk-tag--{colour}"})
    assert _squeezed(ours) == _squeezed(theirs)
    assert "<instability>" not in ours, "the text is escaped"


@pytest.mark.parametrize("data", ["", "msk", "a&b"])
def test_our_filter_select_is_the_nhs_select(app, data):
    choices = [SimpleNamespace(value=value, label=label) for value, label in
               [("", "All pathways"), ("msk", "Musculoskeletal (MSK)"), ("a&b", "A & <B>")]]
    field = SimpleNamespace(name="pathway", label=SimpleNamespace(text="Pathway"), choices=choices, data=data)
    ours = _macro(app, "components/forms.html", "field_select")(field)
    theirs = _macro(app, "nhsuk/components/select/macro.jinja", "select")({
        "id": "pathway", "name": "pathway", "label": {"text": "Pathway"}, "value": data,
        "items": [{"value": c.value, "text": c.label} for c in choices]})
    assert _squeezed(ours) == _squeezed(theirs)
    assert ours.count(" selected") == (1 if data else 0)


SIGN_OUT = Markup('<form class="nhsuk-header__account-form" action="/auth/logout" method="post">'
                  '<button>Sign out</button></form>')
NAVIGATION = [{"href": "/referrals/list", "text": "Referrals", "current": False},
              {"href": "/triage/", "text": "Triage (3) & <more>", "current": True}]


@pytest.mark.parametrize(("account", "navigation"), [
    (None, None),  # signed out
    ([{"text": "Ann Example (Booking staff)", "icon": True}, {"href": "/auth/change-password",
                                                             "text": "Change password"}, {"html": SIGN_OUT}],
     NAVIGATION),
])
def test_our_header_is_the_nhs_header(app, account, navigation):
    ours = _macro(app, "components/header.html", "header")("Inclusive Access", "/referrals/", account, navigation)
    theirs = _macro(app, "nhsuk/components/header/macro.jinja", "header")({
        "service": {"text": "Inclusive Access", "href": "/referrals/"},
        "account": {"items": account} if account else None,
        "navigation": {"items": navigation} if navigation else None})
    assert _squeezed(ours) == _squeezed(theirs)
