"""Outcome instruments: the shipped questionnaires scored by hand, the minimal important change in each direction,
and every kind of unusable instrument file, which stops the app starting."""
import pytest

from inclusive_access.domain import instrument_files, instruments
from inclusive_access.domain.errors import InvalidInput
from tests.conftest import make_app

SHIPPED = instrument_files.load(instrument_files.SHIPPED_DIR)

#: a small valid instrument the refusal tests each break in one place
CRAFTED = '''id = "crafted"
title = "Crafted scale"
version = 1
kind = "prom"
completed_by = "patient"
licence = "Written for these tests."
question = "How are things?"
question_easy_read = "How are things?"
scoring = "mean"
range = [0, 10]
better = "higher"
mic = 2
options = [
  { code = "0", label = "Not at all", score = 0 },
  { code = "1", label = "A little", score = 1 },
  { code = "5", label = "Half", score = 5 },
  { code = "10", label = "Fully", score = 10 },
  { code = "unsure", label = "Not sure" },
]

[due]
at = ["first_contact"]
every_days = 30

[[items]]
id = "a"
text = "First"
easy_read = "First"

[[items]]
id = "b"
text = "Second"
easy_read = "Second"

[[items]]
id = "c"
text = "Third"
easy_read = "Third"
optional = true
'''


def crafted(tmp_path, text=CRAFTED, name="crafted.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def scale(tmp_path):
    return instrument_files.load_file(crafted(tmp_path))


# --- the shipped instruments, scored by hand ------------------------------------------------------

def test_the_app_loads_the_shipped_instruments_unless_instruments_dir_names_others(tmp_path):
    assert set(make_app("sqlite://").extensions["instruments"]) == {"phq9", "gad7", "psfs", "barthel", "experience"}
    crafted(tmp_path)
    assert set(make_app("sqlite://", INSTRUMENTS_DIR=str(tmp_path)).extensions["instruments"]) == {"crafted"}


@pytest.mark.parametrize(("instrument", "answers", "expected"), [
    # 1 + 2 + 3 + 2 + 0 + 1 + 1 + 0 + 0
    ("phq9", {"interest": "1", "mood": "2", "sleep": "3", "energy": "2", "appetite": "0", "self_worth": "1",
              "concentration": "1", "movement": "0", "self_harm": "0"}, 10),
    # 3 + 2 + 2 + 1 + 0 + 1 + 3
    ("gad7", {"nervous": "3", "control_worry": "2", "worry_too_much": "2", "relaxing": "1", "restless": "0",
              "irritable": "1", "afraid": "3"}, 12),
    # (3 + 4 + 8) / 3
    ("psfs", {"activity_1": "3", "activity_2": "4", "activity_3": "8"}, 5),
    # one activity named: its own rating
    ("psfs", {"activity_1": "7"}, 7),
    # 10 + 0 + 5 + 5 + 10 + 5 + 5 + 15 + 10 + 0
    ("barthel", {"feeding": "10", "bathing": "0", "grooming": "5", "dressing": "5", "bowels": "10", "bladder": "5",
                 "toilet": "5", "transfers": "15", "mobility": "10", "stairs": "0"}, 65),
    # Good (75) and "some of it" (50); "Don't know" and "I did not need support" are not scored
    ("experience", {"friends_and_family": "good", "needs_asked": "dont_know", "understood": "some",
                    "support_given": "not_needed"}, 62.5),
])
def test_a_shipped_instrument_scores_answers_as_worked_by_hand(instrument, answers, expected):
    assert instruments.score(SHIPPED[instrument], answers) == expected


def test_a_mean_with_no_scored_answer_has_no_score(scale):
    assert instruments.score(scale, {"a": "unsure", "b": "unsure"}) is None


@pytest.mark.parametrize(("answers", "errors"), [
    ({"a": "5"}, {"b": "Choose an answer"}),
    ({"a": "5", "b": ""}, {"b": "Choose an answer"}),
    ({"a": "5", "b": "7"}, {"b": "'7' is not one of this question's answers"}),
    ({"a": "5", "b": "5", "d": "5"}, {"d": "Crafted scale has no question 'd'"}),
])
def test_scoring_refuses_a_missing_or_unknown_answer_naming_the_item(scale, answers, errors):
    with pytest.raises(InvalidInput) as refused:
        instruments.score(scale, answers)
    assert refused.value.errors == errors


def test_the_instruments_for_a_pathway_are_its_own_and_those_for_every_pathway():
    assert [i.id for i in instruments.for_pathway(SHIPPED.values(), "mental_health")] == ["experience", "gad7", "phq9"]
    assert [i.id for i in instruments.for_pathway(SHIPPED.values(), "msk")] == ["experience", "psfs"]


# --- the minimal important change -----------------------------------------------------------------

@pytest.mark.parametrize(("instrument", "before", "after", "expected"), [
    ("phq9", 16, 10, True),  # lower is better: a fall of 6 is the MIC
    ("phq9", 16, 11, False),
    ("phq9", 10, 16, False),  # a rise of 6 is a worsening
    ("barthel", 50, 60, True),  # higher is better: 10 passes the MIC of 9.25
    ("barthel", 50, 55, False),
    ("barthel", 60, 50, False),
])
def test_improvement_is_a_change_of_at_least_the_mic_in_the_better_direction(instrument, before, after, expected):
    assert instruments.improved(SHIPPED[instrument], before, after) is expected


def test_a_change_of_exactly_the_mic_between_means_counts_as_improved(scale):
    before = instruments.score(scale, {"a": "0", "b": "0", "c": "5"})
    after = instruments.score(scale, {"a": "0", "b": "1", "c": "10"})
    assert instruments.improved(scale, before, after)  # 11/3 - 5/3 is 2, the MIC, though not in floats


def test_an_experience_measure_has_no_improvement():
    with pytest.raises(ValueError, match="experience has no minimal important change"):
        instruments.improved(SHIPPED["experience"], 50, 100)


# --- files the app refuses ------------------------------------------------------------------------

@pytest.mark.parametrize(("old", "new", "problem"), [
    ('title = "Crafted scale"', 'title = "Crafted scale', "not valid TOML"),
    ('title = "Crafted scale"\n', "", "'title' must be non-empty text"),
    ('id = "crafted"', 'id = "Crafted scale"', "'id' 'Crafted scale' must be lower-case letters"),
    ("version = 1", "version = 0", "'version' must be a whole number, 1 or more"),
    ('completed_by = "patient"', 'completed_by = "carer"', "'completed_by' must be 'patient' or 'clinician'"),
    ('id = "b"', 'id = "a"', "item id 'a' is used twice"),
    ('  { code = "1", label = "A little", score = 1 },', '  { code = "0", label = "A little", score = 1 },',
     "item 'a' answer code '0' is used twice"),
    ("options = [", "unused = [", "unknown key 'unused'"),
    ("optional = true", "optinal = true", "item 'c': unknown key 'optinal'"),
    ('id = "a"\n', 'id = "a"\noptions = []\n', "item 'a' has no answer options"),
    ('id = "a"\n', 'id = "a"\noptions = [{ code = "x", label = "X" }]\n', "item 'a' has no scored answer"),
    ("score = 10 }", 'score = "ten" }', "shared answer '10': 'score' must be a number"),
    ("score = 10 }", "score = 11 }", "item 'a' answer '10' scores 11, outside the range 0-10"),
    ("range = [0, 10]", "range = [10, 0]", "'range' must be [lowest, highest] score"),
    ("range = [0, 10]", "range = [0, 12]", "range 0-12 does not match the items: their mean runs from 0 to 10"),
    ('scoring = "mean"', 'scoring = "sum"', "item 'a': a summed instrument needs every item answered"),
    ('scoring = "mean"', 'scoring = "median"', "'scoring' must be 'sum' or 'mean', not 'median'"),
    ('better = "higher"', 'better = "up"', "'better' must be 'higher' or 'lower', not 'up'"),
    ("mic = 2\n", "", "'mic' (the minimal important change) must be a number above 0"),
    ("mic = 2", "mic = 0", "'mic' (the minimal important change) must be a number above 0 and below"),
    ("mic = 2", "mic = 10", "below the range's width, 10"),
    ('kind = "prom"', 'kind = "prem"', "an experience measure (kind = \"prem\") has no 'mic'"),
    ('at = ["first_contact"]', 'at = ["admission"]', "due: 'at' must list some of first_contact, discharge"),
    ("every_days = 30", "every_days = 0", "due: 'every_days' must be a whole number of days, 1 or more"),
    ('at = ["first_contact"]\nevery_days = 30', "at = []", "due: give 'at', 'every_days' or both"),
    ("[due]", "[when]", "unknown key 'when'"),
])
def test_an_unusable_instrument_file_is_refused_naming_the_file_and_the_problem(tmp_path, old, new, problem):
    assert old in CRAFTED
    path = crafted(tmp_path, CRAFTED.replace(old, new))
    with pytest.raises(instrument_files.InstrumentFileError) as refused:
        instrument_files.load(tmp_path)
    assert str(refused.value).startswith(f"{path}: ")
    assert problem in str(refused.value)


def test_two_files_with_one_id_are_refused(tmp_path):
    first, second = crafted(tmp_path, name="a.toml"), crafted(tmp_path, name="b.toml")
    with pytest.raises(instrument_files.InstrumentFileError,
                       match=f"{second}: id 'crafted' is already used by {first}"):
        instrument_files.load(tmp_path)


@pytest.mark.parametrize(("directory", "problem"), [
    ("missing", "not a directory of instrument files"),
    (".", "no instrument files"),
])
def test_a_directory_without_instruments_is_refused(tmp_path, directory, problem):
    with pytest.raises(instrument_files.InstrumentFileError, match=problem):
        instrument_files.load(tmp_path / directory)


def test_the_app_refuses_to_start_with_an_unusable_instrument(tmp_path):
    crafted(tmp_path, CRAFTED.replace('better = "higher"', 'better = "up"'))
    with pytest.raises(RuntimeError, match=r"crafted\.toml: 'better' must be .* \(see \"Outcome instruments\""):
        make_app("sqlite://", INSTRUMENTS_DIR=str(tmp_path))
