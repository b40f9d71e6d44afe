"""Outcome and experience questionnaires as data: one TOML file each (instruments.Instrument), checked when the app
starts.

A service adds an instrument it holds a licence for (MSK-HQ, EQ-5D) by dropping a file of the same shape into the
instruments directory; a file the app could not score correctly stops the start with the file and the problem named.
"""
import re
import tomllib
from pathlib import Path

from inclusive_access.domain.instruments import DUE_AT, Due, Instrument, Item, Option

#: the instruments shipped with the app, used unless INSTRUMENTS_DIR names another directory
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "instruments"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_KEYS = {"id", "title", "version", "kind", "completed_by", "licence", "pathways", "question", "question_easy_read",
         "scoring", "range", "better", "mic", "due", "options", "items"}
_ITEM_KEYS = {"id", "text", "easy_read", "options", "optional"}
_OPTION_KEYS = {"code", "label", "easy_read", "score"}
_DUE_KEYS = {"at", "every_days"}


class InstrumentFileError(ValueError):
    """An instrument file the app cannot use; the message names the file and the problem."""


def load(directory: Path) -> dict[str, Instrument]:
    """Every instrument in the directory's *.toml files, by id; InstrumentFileError on the first unusable file."""
    if not directory.is_dir():
        raise InstrumentFileError(f"{directory}: not a directory of instrument files")
    instruments: dict[str, Instrument] = {}
    paths: dict[str, Path] = {}
    for path in sorted(directory.glob("*.toml")):
        instrument = load_file(path)
        if instrument.id in instruments:
            raise InstrumentFileError(f"{path}: id '{instrument.id}' is already used by {paths[instrument.id]}")
        instruments[instrument.id], paths[instrument.id] = instrument, path
    if not instruments:
        raise InstrumentFileError(f"{directory}: no instrument files (*.toml)")
    return instruments


def load_file(path: Path) -> Instrument:
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
        return _instrument(data)
    except tomllib.TOMLDecodeError as exc:
        raise InstrumentFileError(f"{path}: not valid TOML: {exc}") from exc
    except _Problem as exc:
        raise InstrumentFileError(f"{path}: {exc}") from exc


class _Problem(Exception):
    """What is wrong with a file, before the file is named."""


def _instrument(data: dict) -> Instrument:
    _known_keys(data, _KEYS, "")
    kind = _choice(data, "kind", ("prom", "prem"))
    scoring = _choice(data, "scoring", ("sum", "mean"))
    shared = tuple(_options(data["options"], "shared")) if "options" in data else ()
    items = tuple(_item(raw, shared) for raw in _tables(data, "items"))
    if not items:
        raise _Problem("'items' is empty")
    _unique([item.id for item in items], "item id")
    low, high = _range(data)
    instrument = Instrument(
        id=_name(data, "id"), title=_text(data, "title"), version=_version(data), kind=kind,
        completed_by=_choice(data, "completed_by", ("patient", "clinician")), licence=_text(data, "licence"),
        pathways=tuple(_pathways(data)), question=_text(data, "question"),
        question_easy_read=_text(data, "question_easy_read"), items=items, scoring=scoring, low=low, high=high,
        better=_choice(data, "better", ("higher", "lower")), mic=_mic(data, kind, high - low), due=_due(data))
    _check_scores(instrument)
    return instrument


def _item(raw: dict, shared: tuple[Option, ...]) -> Item:
    item_id = _name(raw, "id", "an item's ")
    where = f"item '{item_id}'"
    _known_keys(raw, _ITEM_KEYS, f"{where}: ")
    options = tuple(_options(raw["options"], where)) if "options" in raw else shared
    if not options:
        raise _Problem(f"{where} has no answer options (its own 'options', or shared ones)")
    _unique([option.code for option in options], f"{where} answer code")
    optional = raw.get("optional", False)
    if not isinstance(optional, bool):
        raise _Problem(f"{where}: 'optional' must be true or false")
    return Item(id=item_id, text=_text(raw, "text", f"{where}: "), easy_read=_text(raw, "easy_read", f"{where}: "),
                options=options, optional=optional)


def _options(raw: object, where: str) -> list[Option]:
    if not isinstance(raw, list) or not all(isinstance(entry, dict) for entry in raw):
        raise _Problem(f"{where}: 'options' must be a list of tables")
    options = []
    for entry in raw:
        _known_keys(entry, _OPTION_KEYS, f"{where} answer: ")
        code = _text(entry, "code", f"{where} answer: ")
        label = _text(entry, "label", f"{where} answer '{code}': ")
        value = entry.get("score")
        if value is not None and not _is_number(value):
            raise _Problem(f"{where} answer '{code}': 'score' must be a number")
        options.append(Option(code=code, label=label, score=value,
                              easy_read=_text(entry, "easy_read", f"{where} answer '{code}': ", default=label)))
    return options


def _check_scores(instrument: Instrument) -> None:
    """Every score inside the range, and the range exactly what the items can reach under the scoring."""
    spans = []
    for item in instrument.items:
        where = f"item '{item.id}'"
        scored = [option.score for option in item.options if option.score is not None]
        if not scored:
            raise _Problem(f"{where} has no scored answer")
        for option in item.options:
            if option.score is not None and not instrument.low <= option.score <= instrument.high:
                raise _Problem(f"{where} answer '{option.code}' scores {option.score}, outside the range "
                               f"{instrument.low}-{instrument.high}")
        if instrument.scoring == "sum" and (item.optional or len(scored) < len(item.options)):
            # A sum over fewer answers would not be comparable with the range, or with another patient's sum.
            raise _Problem(f"{where}: a summed instrument needs every item answered and every answer scored; "
                           f"use scoring = \"mean\"")
        spans.append((min(scored), max(scored)))
    if instrument.scoring == "sum":
        reachable = (sum(low for low, _ in spans), sum(high for _, high in spans))
    else:
        reachable = (min(low for low, _ in spans), max(high for _, high in spans))
    if (instrument.low, instrument.high) != reachable:
        raise _Problem(f"range {instrument.low}-{instrument.high} does not match the items: their "
                       f"{instrument.scoring} runs from {reachable[0]} to {reachable[1]}")


def _range(data: dict) -> tuple[float, float]:
    value = data.get("range")
    if not (isinstance(value, list) and len(value) == 2 and all(_is_number(end) for end in value)
            and value[0] < value[1]):
        raise _Problem("'range' must be [lowest, highest] score, lowest first")
    return value[0], value[1]


def _mic(data: dict, kind: str, width: float) -> float | None:
    value = data.get("mic")
    if kind == "prem":
        if value is not None:
            raise _Problem("an experience measure (kind = \"prem\") has no 'mic': it is not compared over time")
        return None
    if not _is_number(value) or not 0 < value < width:
        raise _Problem(f"'mic' (the minimal important change) must be a number above 0 and below the range's "
                       f"width, {width}")
    return value


def _due(data: dict) -> Due:
    raw = data.get("due")
    if not isinstance(raw, dict):
        raise _Problem("missing the [due] table")
    _known_keys(raw, _DUE_KEYS, "due: ")
    at = raw.get("at", [])
    if not isinstance(at, list) or any(point not in DUE_AT for point in at) or len(set(at)) < len(at):
        raise _Problem(f"due: 'at' must list some of {', '.join(DUE_AT)}, each once")
    every = raw.get("every_days")
    if every is not None and (isinstance(every, bool) or not isinstance(every, int) or every < 1):
        raise _Problem("due: 'every_days' must be a whole number of days, 1 or more")
    if not at and every is None:
        raise _Problem("due: give 'at', 'every_days' or both")
    return Due(at=tuple(at), every_days=every)


def _pathways(data: dict) -> list[str]:
    value = data.get("pathways", [])
    if not isinstance(value, list) or not all(isinstance(code, str) and _NAME.match(code) for code in value):
        raise _Problem("'pathways' must be a list of pathway codes (empty or absent for every pathway)")
    return value


def _version(data: dict) -> int:
    value = data.get("version")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _Problem("'version' must be a whole number, 1 or more")
    return value


def _text(table: dict, key: str, where: str = "", default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise _Problem(f"{where}'{key}' must be non-empty text")
    return value


def _name(table: dict, key: str, where: str = "") -> str:
    value = _text(table, key, where)
    if not _NAME.match(value):
        raise _Problem(f"{where}'{key}' '{value}' must be lower-case letters, digits and _, starting with a letter")
    return value


def _choice(table: dict, key: str, allowed: tuple[str, ...]) -> str:
    value = table.get(key)
    if value not in allowed:
        raise _Problem(f"'{key}' must be {' or '.join(repr(choice) for choice in allowed)}, not {value!r}")
    return value


def _tables(data: dict, key: str) -> list[dict]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
        raise _Problem(f"'{key}' must be a list of tables ([[{key}]])")
    return value


def _known_keys(table: dict, known: set[str], where: str) -> None:
    # A misspelt key ("optinal") would otherwise be ignored and the instrument scored without it.
    unknown = sorted(set(table) - known)
    if unknown:
        raise _Problem(f"{where}unknown key '{unknown[0]}'")


def _unique(values: list[str], what: str) -> None:
    repeated = sorted({value for value in values if values.count(value) > 1})
    if repeated:
        raise _Problem(f"{what} '{repeated[0]}' is used twice")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
