"""Users see import errors in Danish (the default language)."""

import pytest
from django.utils import translation

from core.errors import ServiceError
from importing.services import import_preview


@pytest.mark.django_db
def test_wrong_file_type_is_refused_in_danish(english_messages):
    with translation.override("da"):
        with pytest.raises(ServiceError) as exc:
            import_preview(name="plan.pdf", data=b"%PDF-1.7", year=2024, create_departments=False)
        message = str(exc.value)
    assert "kan ikke importeres" in message
    assert "plan.pdf" in message
