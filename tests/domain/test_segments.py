"""The segment registry is the one list of segments and inequality flags: what is written out elsewhere (the
referral_facts model, which may not import domain) must match it, and everything else derives from it."""
from inclusive_access.domain import audit_sampling, fact_counts, segments
from inclusive_access.models import ReferralFact
from inclusive_access.models.facts import WAIT_SEGMENTS
from inclusive_access.reporting import queries, tables


def test_referral_facts_has_one_column_per_flag_in_the_registry_order():
    columns = [c.name for c in ReferralFact.__table__.columns if c.name.startswith("flag_")]
    assert columns == [flag.column for flag in segments.FLAGS]
    assert all(not ReferralFact.__table__.c[name].nullable for name in columns)


def test_every_segment_is_a_referral_facts_column():
    missing = {s.key: s.column for s in segments.BY_KEY.values() if s.column not in ReferralFact.__table__.c}
    assert not missing


def test_each_reported_segment_has_its_wait_index():
    assert tuple(segment.column for segment in segments.REPORTED) == WAIT_SEGMENTS
    indexes = {index.name for index in ReferralFact.__table__.indexes}
    assert {f"ix_referral_facts_wait_{segment.column}" for segment in segments.REPORTED} <= indexes


def test_keys_and_labels_are_unique():
    every = list(segments.BY_KEY.values())
    assert len({s.key for s in every}) == len(every) == len({s.label for s in every})
    assert len({f.key for f in segments.FLAGS}) == len(segments.FLAGS) == len(set(segments.FLAG_LABELS.values()))


def test_consumers_derive_from_the_registry():
    flag_keys = [segment.key for segment in segments.FLAG_SEGMENTS]
    assert list(tables.SEGMENT_LABELS) == [segment.key for segment in segments.REPORTED]
    assert list(tables.CROSS_SEGMENTS) == [segments.ETHNIC_GROUP.key, *flag_keys]
    assert tuple(s.key for s in segments.REPORTED[1:]) == fact_counts.SEGMENTS
    assert set(queries.SEGMENTS) == {s.key for s in segments.REPORTED} | {segments.PATHWAY.key}
    assert list(audit_sampling.SEGMENT_LABELS)[-len(flag_keys):] == flag_keys
    assert {segments.ANY_FLAG.key, *flag_keys} == audit_sampling.FLAG_SEGMENTS
