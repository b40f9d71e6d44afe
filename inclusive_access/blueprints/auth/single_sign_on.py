"""Single sign-on through the configured OpenID Connect provider: the sign-in button's route sends the browser to
the provider, and the provider sends it back to the callback, which signs the person in as their local account.

The pending sign-in (state, nonce, PKCE verifier, where the person was going) waits in this browser's session,
which is signed, so only this browser can finish it; it is taken out at the callback, so a second callback with the
same state finds nothing. Without a configured provider both routes answer 404.
"""
import hmac

from flask import abort, current_app, redirect, request, session, url_for

from inclusive_access.blueprints.auth import bp, provider
from inclusive_access.blueprints.auth.routes import login_page, signed_in
from inclusive_access.domain import oidc_accounts, sign_in
from inclusive_access.domain.errors import LoginThrottled
from inclusive_access.extensions import db
from inclusive_access.security import is_safe_next

#: the session key of the pending sign-in
PENDING = "oidc_pending"


@bp.route("/oidc/sign-in")
def start_oidc_sign_in():
    if not provider.configured():
        abort(404)
    try:
        made = provider.authorization(_redirect_uri())
    except provider.ProviderError as exc:
        current_app.logger.warning("single sign-on could not start: %s", exc.reason)
        return login_page(error=_did_not_work(), status=502)
    next_url = request.args.get("next")
    session[PENDING] = {"state": made.state, "nonce": made.nonce, "code_verifier": made.code_verifier,
                        "next": next_url if is_safe_next(next_url) else None}
    return redirect(made.url, 303)


@bp.route("/oidc/callback")
def finish_oidc_sign_in():
    """The provider's answer: checked, then the person signed in, or the refusal recorded and told."""
    if not provider.configured():
        abort(404)
    rules = oidc_accounts.ProviderRules.from_mapping(current_app.config)
    pending, source = session.pop(PENDING, None), request.remote_addr or ""
    try:
        issuer, claims, id_token = _identity(pending)
        user = oidc_accounts.sign_on(db.session, rules, issuer, claims, source)
    except provider.ProviderError as exc:
        return _refused(rules, exc.reason, source)
    except oidc_accounts.SignOnRefused as refused:
        db.session.commit()  # the refusal's event is kept
        return login_page(error=str(refused), status=403)
    return signed_in(user, pending["next"], id_token)


def _refused(rules: oidc_accounts.ProviderRules, reason: str, source: str):
    try:
        oidc_accounts.refuse_sign_on(db.session, rules, reason, source,
                                     sign_in.SignInRules.from_mapping(current_app.config))
    except LoginThrottled as throttled:
        db.session.commit()  # the burst's one event
        page, status = login_page(error=_did_not_work(), status=429)
        return page, status, {"Retry-After": str(throttled.retry_after)}
    db.session.commit()
    return login_page(error=_did_not_work(), status=400)


def _identity(pending: dict | None) -> tuple[str, dict, str]:
    args = request.args
    if error := args.get("error"):
        raise provider.ProviderError(f"provider answered {error}")
    state = args.get("state", "").encode()
    if not pending or not state or not hmac.compare_digest(state, pending["state"].encode()):
        raise provider.ProviderError("state does not match this browser's sign-in")
    if not args.get("code"):
        raise provider.ProviderError("no code")
    return provider.identity(args["code"], _redirect_uri(), pending["nonce"], pending["code_verifier"])


def _redirect_uri() -> str:
    return current_app.config.get("OIDC_REDIRECT_URI") or url_for("auth.finish_oidc_sign_in", _external=True)


def _did_not_work() -> str:
    return (f"Signing in through {current_app.config['OIDC_PROVIDER_NAME']} did not work. Try again, and tell "
            "your service desk if it keeps happening.")
