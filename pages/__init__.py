"""The public pages the receiver serves: the status page (status/), the acknowledgement page a page's
link opens (acknowledgement.py) and the on-call calendar feeds (calendars.py)."""
