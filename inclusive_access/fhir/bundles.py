"""The API's envelopes: a search's page as a searchset Bundle, and an error as an OperationOutcome."""
from collections.abc import Callable

from inclusive_access.fhir.search import Page


def searchset(page: Page, self_url: str, next_url: str | None, full_url: Callable[[dict], str]) -> dict:
    """The page with a link to itself and, unless it is the last, to the next page; the first page says how many
    match in all."""
    links = [{"relation": "self", "url": self_url}]
    if next_url is not None:
        links.append({"relation": "next", "url": next_url})
    bundle = {"resourceType": "Bundle", "type": "searchset", "link": links}
    if page.total is not None:
        bundle["total"] = page.total
    if page.resources:  # FHIR has no empty lists
        bundle["entry"] = [{"fullUrl": full_url(resource), "resource": resource, "search": {"mode": "match"}}
                           for resource in page.resources]
    return bundle


def operation_outcome(code: str, diagnostics: str, expression: str | None = None) -> dict:
    """One error, its FHIR issue type `code` (security, not-found, invalid...) and what went wrong in words."""
    return outcome([(code, diagnostics, expression)])


def outcome(issues: list[tuple[str, str, str | None]]) -> dict:
    """Several errors, each its issue type, what went wrong and, when known, the element it is about."""
    return {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": code, "diagnostics": diagnostics, **({"expression": [expression]}
                                                                            if expression else {})}
        for code, diagnostics, expression in issues]}
