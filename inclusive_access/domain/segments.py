"""The segment registry: every breakdown equity reporting offers, the inequality flags among them, written once.

The referral_facts columns (checked by a test, as models may not import domain), the projection, the counts, the
queries, the dashboard tables and exports, audit sampling, the forms and the templates' labels derive from here.
Pure: imports nothing from the app, so any layer that may import domain may import it.
"""
from dataclasses import dataclass

#: the label of a segment's unknown row
NOT_KNOWN = "Not known"


@dataclass(frozen=True)
class Flag:
    """An inequality flag of DOMAIN.md: its key in a referral's `flags` (and its events), and its label."""

    key: str
    label: str

    @property
    def column(self) -> str:
        """Its referral_facts column: whether the referral had the flag at receipt."""
        return f"flag_{self.key}"


#: in the order equity.derive_flags returns them, forms offer them and reports list them
FLAGS = (
    Flag("deprivation", "Deprivation (IMD quintile 1)"),
    Flag("housing", "Housing instability"),
    Flag("cognitive", "Cognitive impairment or learning disability"),
    Flag("language", "Language need"),
    Flag("communication", "Communication need"),
    Flag("carer", "Caring responsibilities"),
)
#: flag key -> label (forms, event sentences, the templates' FLAG_LABELS)
FLAG_LABELS = {flag.key: flag.label for flag in FLAGS}


@dataclass(frozen=True)
class Segment:
    """A breakdown of referrals by one referral_facts column, snapshotted at receipt.

    `key` names it in URLs, forms, exports and referral_fact_counts; `unknown` labels its unknown row (None where
    every referral has a value); `true_false` marks a segment whose values are yes and no (a flag, or any flag).
    """

    key: str
    label: str
    column: str
    unknown: str | None = None
    true_false: bool = False


IMD_QUINTILE = Segment("imd_quintile", "IMD quintile", "imd_quintile", NOT_KNOWN)
ETHNIC_GROUP = Segment("ethnic_group", "Ethnic group", "ethnic_group", NOT_KNOWN)
AGE_BAND = Segment("age_band", "Age band", "age_band", NOT_KNOWN)
SEX = Segment("sex", "Sex", "sex", NOT_KNOWN)
PATHWAY = Segment("pathway", "Pathway", "pathway")
ANY_FLAG = Segment("flagged", "Any inequality flag", "flagged", true_false=True)
FLAG_SEGMENTS = tuple(Segment(flag.column, f"Flag: {flag.label}", flag.column, true_false=True) for flag in FLAGS)

#: the dashboard's breakdowns, in its order: each has a wait index on referral_facts, is counted within each IMD
#: quintile in referral_fact_counts (besides the quintile itself) and is a table of the report's exports
REPORTED = (IMD_QUINTILE, ETHNIC_GROUP, AGE_BAND, SEX, *FLAG_SEGMENTS)
#: every segment by key
BY_KEY = {segment.key: segment for segment in (*REPORTED, PATHWAY, ANY_FLAG)}
#: the keys of the yes/no segments
TRUE_FALSE = frozenset(key for key, segment in BY_KEY.items() if segment.true_false)


def labels(chosen: tuple[Segment, ...]) -> dict[str, str]:
    """key -> label of the segments `chosen`, in their order (a form's choices, a report's tables)."""
    return {segment.key: segment.label for segment in chosen}
