"""The role x capability table of README.md, rendered from security.ACCESS and the domain's in-route role rules.

`python -m inclusive_access.role_table --write` rewrites README's table; tests/test_role_table.py fails when they
differ, so the table is written once, here."""
import sys
from pathlib import Path

from inclusive_access.domain import adjustments, appointments, dna, engagement_plans
from inclusive_access.models import ROLES
from inclusive_access.security import ACCESS

README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN = ("<!-- role table: generated from security.ACCESS by `python -m inclusive_access.role_table --write`; "
         "do not edit by hand -->")
END = "<!-- end of role table -->"
#: blueprint -> the area of work it serves, in the table's words
AREAS = {"auth": "Signing in", "home": "Home (/ opens your own work)",
         "referrals": "Referrals", "patients": "Patients", "intake": "Intake",
         "triage": "Triage", "clarification": "Clarifications", "appointments": "Appointments",
         "dna": "Barrier checks", "adjustments": "Reasonable adjustments", "discharge": "Discharge and senior review",
         "safeguarding": "Safeguarding", "urgent_contacts": "Crisis and urgent contacts",
         "questionnaire_links": "Questionnaire links",
         "questionnaires": "Outcome questionnaires",
         "reports": "Equity reports and governance", "audit": "Audit",
         "admin": "Users", "imports": "Referral imports (CSV)",
         "outreach_records": "Outreach minimum records (the session's named clinicians only)",
         "outreach": "Outreach with partners",
         "contact_tasks": "Contact problems (a message could not reach the only route recorded)"}
#: rules the domain applies within one route, which ACCESS cannot show: (blueprint, what, roles)
IN_ROUTE_RULES = [
    ("triage", "record the adjustments the booking script found (in triage referral)",
     adjustments.RECORD_ROLES["triage_script"]),
    ("appointments", "book past an open barrier check for urgent clinical need (in book appointment)",
     appointments.OVERRIDE_ROLES),
    ("dna", 'answer the "was not brought" safeguarding question (in save barriers)', dna.SAFEGUARDING_ANSWER_ROLES),
    ("patients", "read the patient's engagement plans (in show patient)", engagement_plans.READ_ROLES),
]


def rows() -> list[tuple[str, str, frozenset[str]]]:
    """(area, what, roles): one row per blueprint and set of roles, in ACCESS order, then that area's in-route rules."""
    groups: dict[str, dict[frozenset[str], list[str]]] = {}
    for endpoint, roles in ACCESS.items():
        blueprint, view = endpoint.split(".", 1)
        groups.setdefault(blueprint, {}).setdefault(frozenset(roles), []).append(view.replace("_", " "))
    found = []
    for blueprint, by_roles in groups.items():
        area = AREAS.get(blueprint, blueprint)
        found += [(area, ", ".join(views), roles) for roles, views in by_roles.items()]
        found += [(area, what, frozenset(roles)) for where, what, roles in IN_ROUTE_RULES if where == blueprint]
    return found


def render() -> str:
    lines = ["| area | what | " + " | ".join(ROLES) + " |", "| --- | --- |" + " --- |" * len(ROLES)]
    lines += [f"| {area} | {what} | " + " | ".join("yes" if role in roles else "no" for role in ROLES) + " |"
              for area, what, roles in rows()]
    return "\n".join(lines)


def in_readme(text: str) -> str | None:
    """The table between the markers, or None when README has none."""
    if BEGIN not in text or END not in text:
        return None
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def write(path: Path = README) -> None:
    text = path.read_text(encoding="utf-8")
    if in_readme(text) is None:
        raise SystemExit(f"{path} has no role table markers: add {BEGIN} and {END} where the table goes")
    before, rest = text.split(BEGIN, 1)
    path.write_text(f"{before}{BEGIN}\n{render()}\n{END}{rest.split(END, 1)[1]}", encoding="utf-8")


if __name__ == "__main__":
    write() if sys.argv[1:] == ["--write"] else print(render())
