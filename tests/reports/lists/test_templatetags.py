"""The lists' filter form: {% filter_form form %} (reports/templatetags/list_filters.py)."""

import pytest
from django.template import engines
from django.utils import translation

from followups.models import FollowUp
from reports.lists.filters import FollowUpFilter
from tests.factories import DepartmentFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def render_form(rf, user, params) -> str:
    request = rf.get("/", params)
    request.user = user
    filterset = FollowUpFilter(request.GET, queryset=FollowUp.objects.all(), request=request)
    template = engines["django"].from_string("{% load list_filters %}{% filter_form form %}")
    with translation.override("en"):
        return template.render({"form": filterset.form})


def test_the_filter_form_renders_each_kind_of_field(rf, secretariat):
    department = DepartmentFactory(name="Børn & Unge")
    theme = ThemeFactory(name='<Svar> "hurtigt"')
    html = render_form(
        rf,
        secretariat,
        {
            "q": '<b>svar</b> & "tid"',
            "department": department.pk,
            "theme": theme.pk,
            "state": ["submitted", "approved"],
            "overdue": "true",
        },
    )
    assert '<form method="get" action="" class="app-filter-form"' in html
    assert 'aria-labelledby="filter-heading"' in html
    assert "alert-error" not in html  # valid filters
    # A search field with its hint, the text escaped.
    assert '<label class="form-label" for="id_q">Search text</label>' in html
    assert '<span class="form-hint" id="hint-q">' in html
    assert (
        '<input type="search" class="form-input" name="q" id="id_q"'
        ' value="&lt;b&gt;svar&lt;/b&gt; &amp; &quot;tid&quot;" aria-describedby="hint-q">'
    ) in html
    # Selects: an empty option first, the chosen one selected, labels escaped.
    assert (
        '<select class="form-select" name="department" id="id_department"'
        ' aria-describedby="hint-department"><option value="">–</option>'
    ) in html
    assert f'<option value="{department.pk}" selected>Børn &amp; Unge</option>' in html
    assert '<select class="form-select" name="theme" id="id_theme"><option value="">–</option>' in (
        html
    )
    assert f'<option value="{theme.pk}" selected>&lt;Svar&gt; &quot;hurtigt&quot;</option>' in html
    # A checkbox, checked, with its label after it; an unchecked one.
    assert (
        '<div class="form-group-checkbox"><input type="checkbox" class="form-checkbox"'
        ' name="overdue" id="id_overdue" value="true" checked><label class="form-label"'
        ' for="id_overdue">Overdue only</label></div>'
    ) in html
    assert 'name="moved" id="id_moved" value="true"><label' in html
    # Several choices: a fieldset with its legend, one checkbox per choice.
    assert '<fieldset id="id_state"><legend class="form-label">Workflow state</legend>' in html
    assert 'name="state" id="id_state_0" value="draft"><label class="form-label"' in html
    assert 'name="state" id="id_state_1" value="submitted" checked><label' in html
    assert 'name="state" id="id_state_2" value="approved" checked><label' in html
    assert '<label class="form-label" for="id_state_3">' in html


def test_the_filter_form_says_which_filter_is_not_valid(rf, secretariat):
    html = render_form(rf, secretariat, {"department": 999999})
    assert 'role="alert"' in html
    assert "Some filters are not valid" in html
    assert '<div class="form-group form-error">' in html
    assert '<span class="form-error-message"><span class="sr-only">Error:</span> ' in html
    assert html.count("form-error-message") == 1


def test_read_only_roles_get_no_workflow_state(rf, council):
    html = render_form(rf, council, {})
    assert 'id="id_state"' not in html
    assert 'id="id_q"' in html
