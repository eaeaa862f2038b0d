"""Roles and the rights they grant (domain/roles.py): what each request's check reads."""

import pytest

from domain.roles import Right, Role, has_right, parse_role_map, roles_from_groups


def test_each_role_has_what_the_issue_gives_it_and_admin_has_every_right():
    assert has_right([Role.RESPONDER], Right.ACT_ON_GROUP_INCIDENTS)
    assert not has_right([Role.RESPONDER], Right.ACT_ON_ANY_INCIDENT)
    assert has_right([Role.INCIDENT_MANAGER], Right.ACT_ON_BEHALF)
    assert not any(has_right([Role.AUDITOR], r) for r in Right if r not in (Right.READ, Right.READ_AUDIT))
    assert has_right([Role.PUBLISHER], Right.PUBLISH) and not has_right([Role.PUBLISHER], Right.CONFIGURE)
    assert all(has_right([Role.ADMIN], r) for r in Right)
    assert not has_right([], Right.READ)


def test_the_identity_providers_groups_map_to_roles_and_add_up():
    mapping = parse_role_map("sre-leads=incident_manager, audit=auditor, ops=admin+publisher, audit=publisher")
    assert roles_from_groups(["audit", "unmapped"], mapping) == {Role.AUDITOR, Role.PUBLISHER}
    assert roles_from_groups(["ops"], mapping) == {Role.ADMIN, Role.PUBLISHER}
    assert parse_role_map("") == {}


@pytest.mark.parametrize("text", ["sre-leads", "x=boss", "=admin"])
def test_a_role_map_entry_that_means_nothing_is_refused_naming_it(text: str):
    with pytest.raises(ValueError, match="role"):
        parse_role_map(text)
