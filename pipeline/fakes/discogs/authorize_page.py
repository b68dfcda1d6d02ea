"""The fake's stand-in for www.discogs.com/oauth/authorize: a form a person or a test approves or denies."""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pipeline.fakes.discogs.world import World

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize application (fake Discogs)</title></head>
<body><h1>An application wants to access your Discogs account</h1>
<p>This is the fake Discogs API's authorize page; sign in as any user of its world.</p>
<form method="post" action="/oauth/authorize">
<input type="hidden" name="oauth_token" value="{token}">
<label>Discogs username <input name="username" value="{username}" required></label>
<button name="action" value="approve">Authorize</button>
<button name="action" value="deny">Cancel</button>
</form></body></html>
"""


def _message(title: str, text: str) -> str:
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title></head>"
            f"<body><h1>{escape(title)}</h1><p>{escape(text)}</p></body></html>\n")


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def authorize(world: World, method: str, query: dict[str, str], body: str) -> tuple[int, dict[str, str], str]:
    """(status, headers, html) for GET (the form) and POST (the person's answer)."""
    form = dict(parse_qsl(body, keep_blank_values=True)) if method == "POST" else query
    token = form.get("oauth_token", "")
    pending = world.live_request_token(token)
    if pending is None:
        return 400, {}, _message("Invalid request token", "The request token is unknown or has expired.")
    if method != "POST":
        return 200, {}, _PAGE.format(token=escape(token), username=escape(query.get("username", "")))
    if form.get("action") != "approve":
        if pending.callback == "oob":
            return 200, {}, _message("Access denied", "You did not authorize the application.")
        return 302, {"Location": _with_query(pending.callback, denied=token)}, ""
    try:
        verifier = world.authorize(token, form.get("username", ""))
    except LookupError as exc:
        return 400, {}, _message("Unknown user", str(exc))
    if pending.callback == "oob":
        return 200, {}, _message("Authorized", f"Your verification code is {verifier}")
    location = _with_query(pending.callback, oauth_token=token, oauth_verifier=verifier)
    return 302, {"Location": location}, ""
