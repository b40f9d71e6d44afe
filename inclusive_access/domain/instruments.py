"""Outcome and experience questionnaires: their shape, and scoring answers to them. instrument_files reads and
checks them from their TOML files."""
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from inclusive_access.domain.errors import InvalidInput

#: the points of a referral at which an instrument can fall due; `every_days` adds a repeat while it is open
DUE_AT = ("first_contact", "discharge")


@dataclass(frozen=True)
class Option:
    code: str
    label: str
    easy_read: str
    #: None for an answer recorded but not scored ("Don't know")
    score: float | None


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    easy_read: str
    options: tuple[Option, ...]
    #: may be left unanswered (a PSFS patient names one to three activities); only where the score is a mean
    optional: bool

    def option(self, code: str) -> Option | None:
        return next((option for option in self.options if option.code == code), None)


@dataclass(frozen=True)
class Due:
    at: tuple[str, ...]
    every_days: int | None


@dataclass(frozen=True)
class Instrument:
    id: str
    title: str
    #: the definition's version: answers keep the version they were given under when the wording changes
    version: int
    #: "prom" (an outcome, measured twice or more) or "prem" (experience, asked once)
    kind: str
    #: "patient" (may be sent to the patient) or "clinician" (rated by staff)
    completed_by: str
    licence: str
    #: pathway codes it is used on; empty for every pathway
    pathways: tuple[str, ...]
    question: str
    question_easy_read: str
    items: tuple[Item, ...]
    #: "sum" of every item, or "mean" of the scored answers given
    scoring: str
    low: float
    high: float
    better: str
    #: the minimal important change; None for an experience measure, which is not compared over time
    mic: float | None
    due: Due


def for_pathway(instruments: Iterable[Instrument], pathway: str) -> list[Instrument]:
    """The instruments used on a pathway: those naming it, and those naming none."""
    return [instrument for instrument in instruments if not instrument.pathways or pathway in instrument.pathways]


def score(instrument: Instrument, answers: Mapping[str, str]) -> float | None:
    """The score of one set of answers (item id -> option code); None when a mean has no scored answer to take.

    Refuses an unanswered item that is not optional, an answer that is not one of its item's options, and an item
    the instrument does not have, each named by its item id."""
    errors = {key: f"{instrument.title} has no question '{key}'"
              for key in answers if key not in {item.id for item in instrument.items}}
    scores = []
    for item in instrument.items:
        code = answers.get(item.id)
        if not code:
            if not item.optional:
                errors[item.id] = "Choose an answer"
            continue
        option = item.option(code)
        if option is None:
            errors[item.id] = f"'{code}' is not one of this question's answers"
        elif option.score is not None:
            scores.append(option.score)
    if errors:
        raise InvalidInput(errors)
    if instrument.scoring == "sum":
        return sum(scores)
    return sum(scores) / len(scores) if scores else None


def improved(instrument: Instrument, before: float, after: float) -> bool:
    """Whether the score moved in the better direction by at least the minimal important change."""
    if instrument.mic is None:
        raise ValueError(f"{instrument.id} has no minimal important change")
    return reached_mic(instrument.better, instrument.mic, before, after)


def reached_mic(better: str, mic: float, before: float, after: float) -> bool:
    """`improved`'s rule on a direction ("higher" or "lower") and a minimal important change as an answer's event
    carried them (the outcome facts are built from the log, not from today's instrument files)."""
    change = after - before if better == "higher" else before - after
    # A mean's float rounding (11/3 - 5/3 < 2) must not miss a change of exactly the MIC.
    return change >= mic or math.isclose(change, mic)
