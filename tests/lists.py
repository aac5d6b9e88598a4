"""Helpers for tests of the filtered lists (reports/lists/)."""


def listed(client, url, params, pages) -> list[int]:
    """The pks of the rows shown on pages 1..`pages` of the list at `url`, in order."""
    pks = []
    for number in range(1, pages + 1):
        response = client.get(url, {**params, "page": number})
        assert response.status_code == 200
        pks += [row.pk for row in response.context["page"].rows]
    return pks
