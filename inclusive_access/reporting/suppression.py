"""Small-number suppression over everything published together: counts linked by linear relations an analyst
knows (a table's totals, the same population in two tables) are hidden until no small count can be worked out.

Pure: the caller names the counts and the relations; nothing here knows about tables or the database.
"""
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence

#: one relation: sum(coefficient * count) == 0 over the counts it names. A count the relations name that is not
#: published (an overall total, say) is an unknown of the system, never itself a disclosure.
Relation = Mapping[Hashable, int]


def _combine(row: dict, pivot_row: dict, key: Hashable) -> dict:
    """`row` with `key` eliminated by `pivot_row`, in integers (divided by their common factor)."""
    a, b = pivot_row[key], row[key]
    out = {k: a * c for k, c in row.items()}
    for k, c in pivot_row.items():
        out[k] = out.get(k, 0) - b * c
    out = {k: c for k, c in out.items() if c}
    common = math.gcd(*out.values()) if out else 1
    return {k: c // common for k, c in out.items()}


def _pivot_rows(unknown: set, relations: Iterable[Relation], carry: bool) -> dict[Hashable, dict]:
    """Gaussian elimination, exact in integers, pivoting on the unknowns only and keeping the pivot rows fully
    reduced; with `carry`, the shown counts stay in the rows as further columns."""
    pivots: dict[Hashable, dict] = {}
    for relation in relations:
        row = {key: c for key, c in relation.items() if c and (carry or key in unknown)}
        for key in [key for key in row if key in pivots]:
            row = _combine(row, pivots[key], key)
        pivot = next((key for key in row if key in unknown), None)
        if pivot is None:
            continue
        for key, other in pivots.items():
            if pivot in other:
                pivots[key] = _combine(other, row, pivot)
        pivots[pivot] = row
    return pivots


def determined(unknown: Iterable[Hashable], relations: Iterable[Relation]) -> set[Hashable]:
    """The unknowns the relations fix exactly once every other count is substituted in: those whose pivot row
    names no other unknown (a combination of the relations then gives it alone)."""
    pivots = _pivot_rows(set(unknown), relations, carry=False)
    return {key for key, row in pivots.items() if len(row) == 1}


def _components(relations: Sequence[Relation]) -> list[list[Relation]]:
    """The relations grouped so that no count is named in two groups (each group is solved on its own)."""
    parent: dict[Hashable, Hashable] = {}

    def root(key: Hashable) -> Hashable:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for relation in relations:
        first, *rest = relation
        for key in rest:
            parent[root(key)] = root(first)
    groups: dict[Hashable, list[Relation]] = {}
    for relation in relations:
        groups.setdefault(root(next(iter(relation))), []).append(relation)
    return list(groups.values())


def _equals(counts: Mapping[Hashable, int | None], relations: Sequence[Relation]) -> dict[Hashable, set]:
    """Each shown count with every count the relations make equal to it once the zeros shown are put in."""
    groups = {key: {key} for key in counts}
    for relation in relations:
        pair = [(key, c) for key, c in relation.items() if c and counts.get(key, -1) != 0]
        if len(pair) == 2 and all(key in counts for key, _c in pair) and pair[0][1] == -pair[1][1]:
            (a, _), (b, _) = pair
            if groups[a] is not groups[b]:
                merged = groups[a] | groups[b]
                for key in merged:
                    groups[key] = merged
    return groups


def suppress_linked(counts: Mapping[Hashable, int | None], relations: Sequence[Relation], low: int = 1,
                    high: int = 7) -> set[Hashable]:
    """The counts to show as "*": every count from `low` to `high` (and every None, withheld upstream), and enough
    others that no such count is fixed exactly by the relations and the counts still shown.

    Counts the relations make equal once the zeros shown are put in (the same population in two tables) are hidden
    together. Repeated until stable: for the first small count the relations fix, hide one more shown count (with
    its equals) that frees it, looking first among the counts named in a relation with it, then along every
    relation linked to it: a non-zero one if there is any (a zero hidden beside a small count adds little), then
    the smallest, then the first in `counts` order; failing any (fixed along two chains), the cheapest beside it.
    Bounds are not addressed (two "*" summing to 2 are both 1). A count that nothing shown can free (fixed by a
    published total alone) raises ValueError: the caller must not publish that total.

    Source: ONS, Review of the Dissemination of Health Statistics: Confidentiality Guidance (2006), on secondary
    suppression and differencing between tables published together.
    """
    order = {key: i for i, key in enumerate(counts)}
    small = {key for key, v in counts.items() if v is None or low <= v <= high}
    hidden = set(small)
    equals = _equals(counts, relations)

    def rank(key: Hashable) -> tuple:
        return counts[key] == 0, counts[key], len(equals[key]), order[key]

    for component in _components([r for r in relations if r]):
        named = {key for relation in component for key in relation}
        unpublished = {key for key in named if key not in counts}

        def exposed(more: set, named=named, unpublished=unpublished, component=component, hidden=hidden) -> list:
            return sorted(determined(((hidden | more) & named) | unpublished, component) & small,
                          key=order.__getitem__)

        while found := exposed(set()):
            target = found[0]
            shown = named - hidden - unpublished
            if not shown:
                raise ValueError(f"{target!r} is fixed by published totals alone; suppress those totals")
            near = {key for relation in component if target in relation for key in relation} & shown
            # only a count in the target's row, with the shown counts carried, can free it
            row = _pivot_rows(((hidden & named) | unpublished), component, carry=True)[target]
            linked = {key for key in shown if not equals[key].isdisjoint(row)}
            chosen = next((key for group in (near & linked, linked - near) for key in sorted(group, key=rank)
                           if target not in exposed(equals[key])), None)
            hidden.update(equals[chosen if chosen is not None else min(near or shown, key=rank)])
    return hidden
