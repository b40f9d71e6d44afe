"""Questionnaire links: staff send a patient a one-time link, and the patient answers on their own phone, without
signing in.

A link is `/q/<token>`, the token signed with the app's secret key and carrying the link's id and a random secret
of which only a hash is stored: a forged token is refused before any lookup, and the table alone cannot make a
working link. It works once, until it expires, and shows nothing of the patient but their first name. Every refusal
(forged, unknown, expired, used) is the same one, so a link tells nothing about a patient to whoever finds it; too
many requests on one link, or too many refused links from one address, are throttled."""
import hashlib
import hmac
import math
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, events, questionnaires, submissions
from inclusive_access.domain.access import BOOKING_WORK, require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import InvalidInput, LinkRefused, LinkThrottled
from inclusive_access.domain.instruments import Instrument, for_pathway
from inclusive_access.models import LinkThrottle, Patient, QuestionnaireLink, QuestionnaireResponse, Referral

#: sending a questionnaire is reaching the patient, not a clinical judgement: booking staff send them too
ISSUE_ROLES = BOOKING_WORK
#: who answers through a link: the patient, who has no account (questionnaire_responses needs no author for them)
PATIENT = Actor(user_id=None, role="patient", name="The patient")
#: kept apart from every other use of the secret key: a session cookie or a verification state is no link
SALT = "questionnaire-link"
#: the largest id a link can have (the database's integer): a larger one in a token is no link
_LARGEST_ID = 2**31 - 1


@dataclass(frozen=True)
class LinkRules:
    """The configured limits (config.py's QUESTIONNAIRE_LINK_* settings)."""

    days: int = 14
    #: requests on one link in a window: opening it, switching its wording, correcting an answer
    link_limit: int = 30
    #: refused link requests from one address in a window
    source_limit: int = 10
    window: timedelta = timedelta(minutes=15)

    @classmethod
    def from_mapping(cls, cfg: Mapping) -> "LinkRules":
        return cls(days=cfg["QUESTIONNAIRE_LINK_DAYS"], link_limit=cfg["QUESTIONNAIRE_LINK_LIMIT"],
                   source_limit=cfg["QUESTIONNAIRE_LINK_SOURCE_LIMIT"],
                   window=timedelta(minutes=cfg["QUESTIONNAIRE_LINK_WINDOW_MINUTES"]))


def signer(secret_key: str, fallbacks: Sequence[str] = ()) -> URLSafeSerializer:
    """Signs with the app's secret key; a link signed before a key rotation (SECRET_KEY_FALLBACKS) still opens."""
    return URLSafeSerializer([*fallbacks, secret_key], salt=SALT)


def sendable(instruments: Iterable[Instrument], pathway: str) -> list[Instrument]:
    """The questionnaires a patient on `pathway` may be sent: those used there that the patient answers."""
    return [i for i in for_pathway(instruments, pathway) if i.completed_by == "patient"]


@dataclass(frozen=True)
class IssuedLink:
    link: QuestionnaireLink
    #: the token of the link's address: shown once, to copy or read out, and never stored
    token: str


def issue_link(session: Session, actor: Actor, referral: Referral, instrument: Instrument, time_point: str,
               easy_read: bool, rules: LinkRules, signing: URLSafeSerializer, submission_token: str | None = None,
               now: datetime | None = None) -> IssuedLink:
    """Make a link through which the patient answers `instrument` once, in easy read or plain English first."""
    require_role(actor, ISSUE_ROLES)
    now = now or datetime.now(UTC)
    submissions.refuse_repeat(session, QuestionnaireLink, submission_token)
    errors = {}
    if instrument not in sendable([instrument], referral.pathway.code):
        errors["instrument"] = (f"{instrument.title} is rated by a clinician, not sent to the patient"
                                if instrument.completed_by != "patient"
                                else f"{instrument.title} is not used on this pathway")
    if time_point not in questionnaires.TIME_POINTS:
        errors["time_point"] = "Select when in the referral it is for"
    if errors:
        raise InvalidInput(errors)
    secret = secrets.token_urlsafe(16)
    link = QuestionnaireLink(
        referral_id=referral.id, patient_id=referral.patient_id, instrument_id=instrument.id, time_point=time_point,
        easy_read=easy_read, secret_hash=_hash(secret), issued_by=actor.user_id, issued_role=actor.role,
        issued_at=now, expires_at=now + timedelta(days=rules.days), submission_token=submission_token)
    session.add(link)
    session.flush()
    events.record(session, actor, actions.QUESTIONNAIRE_LINK_ISSUED, "questionnaire_link", link.id,
                  patient_id=referral.patient_id, referral_id=referral.id, now=now,
                  data={"instrument": instrument.id, "title": instrument.title, "time_point": time_point,
                        "easy_read": easy_read, "expires_at": link.expires_at})
    return IssuedLink(link, signing.dumps([link.id, secret]))


@dataclass(frozen=True)
class OpenLink:
    """All a link's page may show: the patient's first name, the questionnaire, and the wording it was sent in."""

    first_name: str
    instrument: Instrument
    easy_read: bool


class Unanswered(InvalidInput):
    """Answers the questionnaire cannot take (a question left out), with the page to show them on again."""

    def __init__(self, errors: dict[str, str], page: OpenLink):
        super().__init__(errors)
        self.page = page


def open_link(session: Session, token: str, source: str, instruments: Mapping[str, Instrument], rules: LinkRules,
              signing: URLSafeSerializer, now: datetime | None = None) -> OpenLink:
    """The page of a link that still works, or LinkRefused (the same for every reason) or LinkThrottled.

    The caller commits even when this raises: the request was counted."""
    return _page(session, *_usable(session, token, source, instruments, rules, signing, now or datetime.now(UTC)))


def submit_link(session: Session, token: str, source: str, instruments: Mapping[str, Instrument], rules: LinkRules,
                signing: URLSafeSerializer, posted: Mapping[str, str], now: datetime | None = None,
                ) -> QuestionnaireResponse:
    """Store the patient's answers (the instrument's own questions, read from what was posted) and use the link up
    in the same transaction; Unanswered names each question left out. The caller commits even when this raises:
    the request was counted, and nothing else was written."""
    now = now or datetime.now(UTC)
    events.lock_log(session)  # two submits of one link racing: the second waits, then finds the link used
    link, instrument = _usable(session, token, source, instruments, rules, signing, now)
    answers = {item.id: posted[item.id] for item in instrument.items if posted.get(item.id)}
    try:
        response = questionnaires.store(session, PATIENT, session.get(Referral, link.referral_id), instrument,
                                        link.time_point, answers, "patient_link", now, now)
    except InvalidInput as refused:  # raised by the scoring, before anything was added
        raise Unanswered(refused.errors, _page(session, link, instrument)) from refused
    link.used_at, link.response_id = now, response.id
    session.flush()
    return response


def _page(session: Session, link: QuestionnaireLink, instrument: Instrument) -> OpenLink:
    return OpenLink(session.get(Patient, link.patient_id).given_name, instrument, link.easy_read)


def _usable(session: Session, token: str, source: str, instruments: Mapping[str, Instrument], rules: LinkRules,
            signing: URLSafeSerializer, now: datetime) -> tuple[QuestionnaireLink, Instrument]:
    """The link `token` names, locked and counted, with its instrument; or LinkThrottled, or LinkRefused (counted
    against the source address)."""
    by_source = _source_counter(session, source[:64], rules.window, now)
    if by_source.failures >= rules.source_limit:
        raise LinkThrottled(_seconds_until(by_source.window_started_at + rules.window, now))
    link = _link_for(session, token, signing)
    if link is not None:
        if link.attempts_since is None or now - link.attempts_since >= rules.window:
            link.attempts, link.attempts_since = 0, now
        if link.attempts >= rules.link_limit:
            raise LinkThrottled(_seconds_until(link.attempts_since + rules.window, now))
        link.attempts += 1
    instrument = instruments.get(link.instrument_id) if link is not None else None
    if link is None or instrument is None or link.used_at is not None or link.expires_at <= now:
        by_source.failures += 1
        session.flush()
        raise LinkRefused()
    session.flush()
    return link, instrument


def _link_for(session: Session, token: str, signing: URLSafeSerializer) -> QuestionnaireLink | None:
    """The link a genuine token names, locked until commit; None for anything else."""
    try:
        link_id, secret = signing.loads(token)
    except (BadSignature, TypeError, ValueError):
        return None
    if type(link_id) is not int or not 0 < link_id <= _LARGEST_ID or not isinstance(secret, str):
        return None
    link = session.get(QuestionnaireLink, link_id, with_for_update=True, populate_existing=True)
    if link is None or not hmac.compare_digest(link.secret_hash, _hash(secret)):
        return None
    return link


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _seconds_until(end: datetime, now: datetime) -> int:
    return max(1, math.ceil((end - now).total_seconds()))


def _source_counter(session: Session, source: str, window: timedelta, now: datetime) -> LinkThrottle:
    """The address's counter, created if missing and locked until commit, its window started afresh once the last
    one has passed."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(LinkThrottle).values(source=source, window_started_at=now, failures=0)
                    .on_conflict_do_nothing())
    row = session.get(LinkThrottle, source, with_for_update=True, populate_existing=True)
    if now - row.window_started_at >= window:
        row.window_started_at, row.failures = now, 0
    return row


@dataclass(frozen=True)
class SentLink:
    """A link as the referral page lists it."""

    title: str
    #: when in the referral it is for, in words
    when: str
    easy_read: bool
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None
    #: "used", "expired" or "waiting"
    status: str


def links_for_referral(session: Session, referral_id: int, instruments: Mapping[str, Instrument],
                       now: datetime | None = None) -> list[SentLink]:
    """The links sent for a referral, most recent first, each with whether it was used or has expired."""
    now = now or datetime.now(UTC)
    rows = session.scalars(select(QuestionnaireLink).where(QuestionnaireLink.referral_id == referral_id)
                           .order_by(QuestionnaireLink.issued_at.desc(), QuestionnaireLink.id.desc()))
    return [SentLink(instruments[r.instrument_id].title if r.instrument_id in instruments else r.instrument_id,
                     questionnaires.TIME_POINTS[r.time_point], r.easy_read, r.issued_at, r.expires_at, r.used_at,
                     "used" if r.used_at else "expired" if r.expires_at <= now else "waiting") for r in rows]
