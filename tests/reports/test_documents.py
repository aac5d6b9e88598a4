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


def _section(*rows):
    from reports.tables import Section, ThemeGroup

    return Section(department_name=None, themes=[ThemeGroup(name="Tema", rows=list(rows))])


def _row(text, answers):
    from reports.tables import FollowUpCell, RecommendationRow

    return RecommendationRow(
        recommendation_id=1,
        number=1,
        kind="recommendation",
        text=text,
        theme="Tema",
        followups=[
            FollowUpCell(
                followup_id=i,
                department_id=i,
                department_name=f"Afdeling {i}",
                action=action,
                status="done",
                status_text=status,
            )
            for i, (action, status) in enumerate(answers)
        ],
    )


def test_a_section_weighs_what_its_table_is_tall():
    """The cut between rendering parts follows height: eight brief answers (eight rows under
    one recommendation) weigh more than one answer with as many characters, and a long text
    more than a short one in the same column."""
    from reports.documents import section_weight

    brief = [("Vi retter brevene til.", "Sket.")] * 8
    one = [(" ".join(["Vi retter brevene til."] * 8), " ".join(["Sket."] * 8))]
    assert sum(len(a) + len(s) for a, s in brief) <= sum(len(a) + len(s) for a, s in one)
    assert section_weight(_section(_row("Kort.", brief))) > 2 * section_weight(
        _section(_row("Kort.", one))
    )
    long_text = "Borgerne skal have svar inden for fristen. " * 20
    assert section_weight(_section(_row(long_text, one))) > section_weight(
        _section(_row("Kort.", one))
    )
    # A recommendation taller than its answers sets the row's height.
    assert section_weight(_section(_row(long_text, brief[:1]))) == section_weight(
        _section(_row(long_text, brief[:2]))
    )
