"""The group map (OIDC_GROUP_MAP): its checks and what groups give."""

import json

import pytest

from accounts.mapping import GroupMapError, configured_group_map, grants_for, parse_group_map


def test_a_map_gives_global_roles_and_memberships():
    group_map = parse_group_map(
        json.dumps(
            {
                "g-sek": {"global_role": "secretariat"},
                "g-ssf": [
                    {"department": "SSF", "role": "case_officer"},
                    {"department": "BUF", "role": "case_officer"},
                ],
                "g-ssf-leder": {"department": "SSF", "role": "manager"},
            }
        )
    )
    grants = grants_for(["g-ssf", "g-sek", "not-mapped"], group_map)
    assert grants.global_roles == {"secretariat"}
    assert grants.memberships == {"SSF": "case_officer", "BUF": "case_officer"}
    assert grants.any


@pytest.mark.parametrize("order", [["g-ssf", "g-ssf-leder"], ["g-ssf-leder", "g-ssf"]])
def test_the_stronger_role_wins_whatever_the_order_of_the_groups(order):
    group_map = parse_group_map(
        {
            "g-ssf": {"department": "SSF", "role": "case_officer"},
            "g-ssf-leder": {"department": "SSF", "role": "manager"},
        }
    )
    assert grants_for(order, group_map).memberships == {"SSF": "manager"}


def test_no_mapped_group_gives_nothing():
    group_map = parse_group_map({"g-sek": {"global_role": "secretariat"}})
    grants = grants_for(["other", "groups"], group_map)
    assert not grants.any
    assert not grants_for([], {}).any


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "JSON object"),
        ('{"g": {"global_role": "admin"}}', "unknown global_role 'admin'"),
        ('{"g": {"department": "SSF", "role": "boss"}}', "unknown role 'boss'"),
        ('{"g": {"department": " ", "role": "manager"}}', "short name"),
        ('{"g": {"department": "SSF"}}', "a grant is"),
        ('{"g": {"global_role": "secretariat", "department": "SSF"}}', "a grant is"),
        ('{"g": "secretariat"}', "must be an object"),
    ],
)
def test_a_bad_map_is_refused_with_the_reason(raw, complaint):
    with pytest.raises(GroupMapError, match=complaint):
        parse_group_map(raw)


def test_the_map_may_live_in_a_file(settings, tmp_path):
    path = tmp_path / "groups.json"
    path.write_text(json.dumps({"g": {"global_role": "council_member"}}), encoding="utf-8")
    settings.OIDC_GROUP_MAP = ""
    settings.OIDC_GROUP_MAP_FILE = str(path)
    assert grants_for(["g"], configured_group_map()).global_roles == {"council_member"}


def test_a_bad_map_stops_manage_py_check(settings):
    from accounts.checks import sign_on_settings

    settings.OIDC_GROUP_MAP = '{"g": {"global_role": "admin"}}'
    assert [e.id for e in sign_on_settings(None)] == ["accounts.E003"]
    settings.OIDC_GROUP_MAP = ""
    settings.PASSWORD_LOGIN = "sometimes"
    assert [e.id for e in sign_on_settings(None)] == ["accounts.E001"]
