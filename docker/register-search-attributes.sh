#!/bin/sh
# The compose job `temporal-admin-tools`: registers the incident search attributes with the
# `temporal` CLI of the temporalio/admin-tools image (which also has jq). Idempotent, so it runs at
# every `docker compose up`: attributes already there with the right type are left alone; one that
# exists with another type stops the job (exit 1), and the worker and receiver then do not start.
# The same list is starter/local_temporal.SEARCH_ATTRIBUTES (tests/e2e/test_compose_static.py
# checks they agree); on any other cluster use `python -m starter.register_search_attributes`.
set -eu

: "${TEMPORAL_ADDRESS:?set TEMPORAL_ADDRESS (host:port of the frontend)}"
: "${TEMPORAL_NAMESPACE:=default}"
WAIT_SECONDS="${WAIT_SECONDS:-300}"

# name:type, one per line
SEARCH_ATTRIBUTES='
IncidentNumber:Keyword
IncidentState:Keyword
IncidentPriority:Keyword
IncidentService:Keyword
IncidentCategory:Keyword
IncidentGroup:Keyword
IncidentAssignee:Keyword
IncidentSource:Keyword
SlaBreached:Bool
MajorIncident:Bool
RestoreDeadline:Datetime
'

export TEMPORAL_ADDRESS  # the CLI reads the frontend address from it, as auto-setup's own script does
sa() { temporal operator search-attribute "$@" --namespace "$TEMPORAL_NAMESPACE"; }

wait_for() {  # description, command...: auto-setup creates the schema, then the server, then the namespace
    what=$1; shift
    waited=0
    until "$@" >/dev/null 2>&1; do
        if [ "$waited" -ge "$WAIT_SECONDS" ]; then
            echo "gave up after ${WAIT_SECONDS}s waiting for $what" >&2
            exit 1
        fi
        sleep 2
        waited=$((waited + 2))
    done
}

# The type the namespace has for $1, as keyword / bool / datetime ...; empty when it has none.
# CLI versions print INDEXED_VALUE_TYPE_KEYWORD or Keyword: compare in one spelling.
current_type() {
    sa list --output json \
        | jq -r --arg name "$1" '.customAttributes[$name] // "" | ascii_downcase | sub("^indexed_value_type_"; "") | gsub("_"; "")'
}

wait_for "Temporal at $TEMPORAL_ADDRESS" temporal operator cluster health
wait_for "namespace $TEMPORAL_NAMESPACE" sa list

failed=0
for entry in $SEARCH_ATTRIBUTES; do
    name=${entry%%:*}
    type=${entry#*:}
    want=$(echo "$type" | tr '[:upper:]' '[:lower:]')
    have=$(current_type "$name")
    if [ -z "$have" ]; then
        # tolerate "already exists": a concurrent run may have added it; the check below decides
        sa create --name "$name" --type "$type" || true
        have=$(current_type "$name")
        [ "$have" = "$want" ] && echo "added    $name $type"
    else
        [ "$have" = "$want" ] && echo "present  $name $type"
    fi
    if [ "$have" != "$want" ]; then
        echo "ERROR    $name is '${have:-missing}' in namespace $TEMPORAL_NAMESPACE; the incident workflows need $type" >&2
        failed=1
    fi
done
exit "$failed"
