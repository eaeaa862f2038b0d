"""The HTML a person sees after clicking a page's acknowledgement link: the page with its one button,
and the line that answers the button. Pure; every value is escaped.

Built for a phone first (pages are read on one at night): the viewport follows the device, the
button spans the width and is large enough to press with a thumb.
"""

from html import escape

STYLE = (
    "*{box-sizing:border-box}"
    "body{margin:0;font:18px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1f24;background:#fff}"
    "main{max-width:32rem;margin:0 auto;padding:1.25rem}"
    "h1{font-size:1.4rem;margin:.25rem 0 .75rem;overflow-wrap:anywhere}"
    "p{margin:.5rem 0;overflow-wrap:anywhere}.muted{color:#4a5360;font-size:.95rem}"
    "button{display:block;width:100%;min-height:3.5rem;margin:1.25rem 0 .5rem;padding:.75rem 1rem;border:0;"
    "border-radius:.5rem;background:#b42318;color:#fff;font:inherit;font-weight:600;cursor:pointer}"
    "button:focus-visible{outline:3px solid #1f4e99;outline-offset:2px}"
)


def _document(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        "<meta name=robots content='noindex, nofollow'>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>"
    )


def confirmation(number: str, person: str, page: int, action: str, headline: str = "") -> str:
    """The page the link opens: what was paged, and one button that POSTs to `action`.

    `headline` is the page's "P1 checkout: 5xx above 5%" when it is known, else empty."""
    about = f"<p>{escape(headline)}</p>" if headline else ""
    return _document(
        f"Acknowledge {number}",
        f"<h1>{escape(number)}</h1>{about}"
        f"<p class=muted>Paged: {escape(person)} (page {page}).</p>"
        f"<form method=post action='{escape(action, quote=True)}'>"
        "<button type=submit>Acknowledge: I am on it</button></form>"
        "<p class=muted>Pressing the button takes the incident and stops the paging.</p>",
    )


def answer(kind: str, message: str) -> str:
    """What the button (or a refused link) answers a person."""
    return _document(kind, f"<h1>{escape(kind.capitalize())}</h1><p>{escape(message)}</p>")
