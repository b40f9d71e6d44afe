"""Patient search at scale: latency of each kind of search, and the query plans that show which index it reads.

Usage:
    .venv/bin/python bench/patient_search.py [--patients 10000 1000000] [--database-url URL] [--repeat 25] [--reuse]

For each size, fills a freshly migrated database (default: a SQLite file under /tmp) with N clearly fake patients
by bulk insert (NHS numbers from the 9xx test range, names folded by domain.name_keys as the app folds them), then
runs each kind of search `--repeat` times with different values through domain.patient_search, as the search page
does (parsing, the query, open referrals, flags and the access-log events, rolled back), and prints the median and
95th percentile with the plan of the patients query. No assertion on time: the figures go to docs/benchmarks.md.
"""
# ruff: noqa: S311, S608 - seeded fake data, not secrets; SQL text is built from our own compiled statements
import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import nhs_number
from migrated import bench_app  # bench/migrated.py: a script's own folder comes first on sys.path
from sqlalchemy import insert, select, text

from inclusive_access.demo.people import FAMILY, GIVEN
from inclusive_access.domain import accounts, name_keys, patient_search
from inclusive_access.domain.actors import SYSTEM, actor_for
from inclusive_access.extensions import db
from inclusive_access.models import Patient

SYLLABLES = ["ash", "bel", "cor", "dun", "el", "fen", "gar", "hol", "ing", "jar", "kel", "lan", "mor", "nor",
             "ow", "pen", "quil", "ros", "sel", "tor", "ul", "ven", "wil", "yar", "zen", "brook", "ford", "ley",
             "ton", "wick", "by", "ham", "wood", "son", "well", "dale"]
ACCENTED = ["Zoë", "Siân", "Renée", "José", "Łukasz", "Søren", "Bríd", "Chloé", "Inès", "Małgorzata"]
PREFIXES = ["O'", "Mc", "de la ", "van der ", "Ní ", ""]
TODAY = datetime.now(UTC).date()


def surnames(rng: random.Random, count: int) -> list[str]:
    """Invented surnames, some hyphenated or with O', Mc, de la; the demo's own list first (the commonest)."""
    made = dict.fromkeys(FAMILY)
    while len(made) < count:
        stem = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3)))).capitalize()
        made[rng.choices(PREFIXES, [2, 2, 1, 1, 1, 40])[0] + stem + ("-" + rng.choice(FAMILY) if rng.random() < 0.03
                                                                         else "")] = None
    return list(made)


def given_names(rng: random.Random, count: int) -> list[str]:
    made = dict.fromkeys(GIVEN + ACCENTED)
    while len(made) < count:
        made["".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3)))).capitalize()] = None
    return list(made)


def numbers(quantity: int) -> list[str]:
    """Valid NHS numbers counted up from 900 000 000 (the test range), skipping stems with no check digit."""
    found, stem = [], 900_000_000
    while len(found) < quantity:
        check = nhs_number.calculate_checksum(str(stem))
        if check < 10:
            found.append(f"{stem}{check}")
        stem += 1
    return found


def fill(quantity: int, seed: int, batch: int = 20_000) -> None:
    """Bulk insert `quantity` patients: a Zipf-like spread of names (the commonest surname about 1% of patients,
    as Smith is in England), about 30 patients to a postcode, ages 0 to 100."""
    rng = random.Random(seed)
    families, givens = surnames(rng, 20_000), given_names(rng, 2_000)
    family_weights = [1 / (rank + 10) for rank in range(len(families))]
    given_weights = [1 / (rank + 5) for rank in range(len(givens))]
    postcodes = [f"{rng.choice('BCDFHLMNS')}{rng.choice('ABDELMNRST')}{rng.randint(1, 99)} "
                 f"{rng.randint(1, 9)}{rng.choice('ABDEFGHJLN')}{rng.choice('PQRSTUWXYZ')}"
                 for _ in range(max(1, quantity // 30))]
    created, started = datetime.now(UTC), time.perf_counter()
    table = Patient.__table__
    all_numbers = numbers(quantity)
    for start in range(0, quantity, batch):
        chunk = all_numbers[start:start + batch]
        family = rng.choices(families, family_weights, k=len(chunk))
        given = rng.choices(givens, given_weights, k=len(chunk))
        rows = [{"nhs_number": n, "given_name": g, "family_name": f, **name_keys.keys(g, f),
                 "date_of_birth": TODAY - timedelta(days=rng.randint(0, 100 * 365)),
                 "sex": rng.choice(("female", "male")), "postcode": rng.choice(postcodes), "imd_decile": None,
                 "imd_index": None, "ethnic_category": "99", "preferred_language": None, "interpreter_needed": None,
                 "communication_needs": [], "housing_status": "not_known", "learning_disability": None,
                 "cognitive_impairment": None, "caring_responsibilities": None, "created_at": created,
                 "version": 1} for n, g, f in zip(chunk, given, family, strict=True)]
        db.session.execute(insert(table), rows)
        db.session.commit()
        if (start + batch) % 200_000 == 0:
            print(f"  {start + batch:,} patients ({time.perf_counter() - started:,.0f} s)", file=sys.stderr,
                  flush=True)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE patients"))
    else:
        db.session.execute(text("ANALYZE"))
    db.session.commit()


def kinds(sample: list[Patient]) -> dict[str, Callable[[int], dict]]:
    """Search kind -> the boxes typed for its i-th run, drawn from real rows so each search finds someone."""
    common = FAMILY[:5]  # the commonest: surnames() puts them first

    def pick(i: int) -> Patient:
        return sample[i % len(sample)]

    return {
        "NHS number (spaced)": lambda i: {"nhs_number": f"{pick(i).nhs_number[:3]} {pick(i).nhs_number[3:6]} "
                                                        f"{pick(i).nhs_number[6:]}"},
        "family name, commonest (~1%)": lambda i: {"name": common[i % len(common)].upper()},
        "family name, 3-letter prefix": lambda i: {"name": pick(i).family_name[:3].lower()},
        "given + family name": lambda i: {"name": f"{pick(i).given_name} {pick(i).family_name}"},
        "family, given (accents off)": lambda i: {"name": f"{name_keys.fold(pick(i).family_name)}, "
                                                          f"{name_keys.fold(pick(i).given_name)[:3]}"},
        "2-letter name": lambda i: {"name": pick(i).family_name_key[:2]},
        "date of birth": lambda i: _dob(pick(i).date_of_birth),
        "postcode (no space, lower)": lambda i: {"postcode": pick(i).postcode.replace(" ", "").lower()},
        "name prefix + date of birth": lambda i: {"name": pick(i).family_name[:4], **_dob(pick(i).date_of_birth)},
    }


def _dob(born: date) -> dict:
    return {"dob_day": str(born.day), "dob_month": str(born.month), "dob_year": str(born.year)}


def plan(statement) -> list[str]:
    """The plan of the patients query a search issues, on this database."""
    compiled = statement.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "sqlite":
        return [row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
    return [row[0] for row in db.session.execute(text(f"EXPLAIN {compiled}"))]


def measure(quantity: int, repeat: int, seed: int) -> None:
    rng = random.Random(seed + 1)
    sample_ids = rng.sample(range(1, quantity + 1), min(quantity, repeat * 4))
    sample = list(db.session.scalars(select(Patient).where(Patient.id.in_(sample_ids))))
    rng.shuffle(sample)
    db.session.expunge_all()
    clerk = actor_for(accounts.create_user(db.session, SYSTEM, f"bench.{time.time_ns()}", "Bench clerk", "booking",
                                           "bench-only-password-1"))
    db.session.commit()
    captured: list = []
    original = db.session.scalars

    def capture(statement, *args, **kwargs):
        captured.append(statement)
        return original(statement, *args, **kwargs)

    print(f"{'search':32} {'median ms':>10} {'p95 ms':>8} {'shown':>6}  plans of the patients queries")
    for name, typed in kinds(sample).items():
        timings, shown = [], []
        for i in range(repeat + 2):  # the first two warm the cache and are not counted
            captured.clear()
            db.session.scalars = capture
            started = time.perf_counter()
            result = patient_search.search_patients(db.session, clerk, patient_search.parse_criteria(typed(i), TODAY))
            elapsed = (time.perf_counter() - started) * 1000
            db.session.scalars = original
            db.session.rollback()  # the view events: a benchmark leaves the access log as it was
            if i >= 2:
                timings.append(elapsed)
                shown.append(len(result.rows))
        p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else timings[0]
        lines = [line for statement in captured[:-1] for line in plan(statement)]  # the last: open referrals
        print(f"{name:32} {statistics.median(timings):10.1f} {p95:8.1f} {statistics.median(shown):6.0f}  "
              f"{lines[0] if lines else ''}")
        for line in lines[1:]:
            print(f"{'':61}{line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--database-url", help="default: a new SQLite file under /tmp for each size")
    parser.add_argument("--repeat", type=int, default=25)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--reuse", action="store_true", help="time the database as it is if already filled")
    args = parser.parse_args()
    for quantity in args.patients:
        app = bench_app(args.database_url, f"ia-patient-search-{quantity}", args.reuse)
        with app.app_context():
            existing = db.session.scalar(text("SELECT count(*) FROM patients"))
            db.session.rollback()
            backend = f"{db.engine.dialect.name} {'.'.join(map(str, db.engine.dialect.server_version_info or ()))}"
            if existing and not args.reuse:
                raise SystemExit("The database already holds patients: give an empty one, or --reuse.")
            started = time.perf_counter()
            if not existing:
                print(f"Inserting {quantity:,} patients ...", file=sys.stderr, flush=True)
                fill(quantity, args.seed)
            print(f"\n== {quantity:,} patients on {backend}, {args.repeat} searches of each kind "
                  f"(filled in {time.perf_counter() - started:,.0f} s)")
            measure(quantity, args.repeat, args.seed)
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
