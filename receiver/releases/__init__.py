"""Release management's HTTP routes on the receiver: change events (`POST /v2/change/enqueue`, PagerDuty's
Change Events API) and known errors a release pipeline publishes (`POST /v1/known-errors`)."""
