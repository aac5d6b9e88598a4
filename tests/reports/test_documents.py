from core.text import danish_key
from reports.documents import NO_STATUS, status_chart
from reports.tables import UNPLACED_NAME, build_table
from tests import factories


def test_status_overview_counts_lines_awaiting_placement_after_the_departments(
    report_data, secretariat
):
    org = report_data.org_followups[0].recommendation
    factories.FollowUpFactory(recommendation=org, department=None, action="- A.", state="approved")
    factories.FollowUpFactory(recommendation=org, department=None, action="- B.", state="approved")
    table = build_table(report=report_data.report, user=secretariat)

    chart = status_chart(table)

    labels = [row.label for row in chart.rows]
    assert labels[-1] == UNPLACED_NAME
    assert UNPLACED_NAME not in labels[:-1]
    assert labels[:-1] == sorted(labels[:-1], key=danish_key)
    no_status = [s.key for s in chart.series].index(NO_STATUS)
    assert [cell.value for cell in chart.rows[-1].cells][no_status] == 2
    cells = [c for *_x, row in table.recommendation_rows() for c in row.followups]
    assert sum(cell.value for row in chart.rows for cell in row.cells) == len(cells)
