from django.db import migrations, models
from django.db.models import OuterRef, Subquery

STATUS_CHOICES = [
    ("planned", "Planned"),
    ("in_progress", "In progress"),
    ("done", "Completed"),
    ("ongoing", "Ongoing"),
    ("paused", "Paused"),
    ("dropped", "Not carried out"),
]
CHUNK = 5000


def backfill(apps, schema_editor):
    """Every follow-up gets a row: existing rows learn their recommendation and report (one
    UPDATE: the read model has no history), follow-ups without a status get a row with none
    ("")."""
    FollowUp = apps.get_model("followups", "FollowUp")
    FollowUpProgress = apps.get_model("followups", "FollowUpProgress")
    own = FollowUp.objects.filter(pk=OuterRef("followup_id"))
    FollowUpProgress.objects.update(
        recommendation_id=Subquery(own.values("recommendation_id")),
        report_id=Subquery(own.values("recommendation__report_id")),
    )
    missing = list(
        FollowUp.objects.filter(progress__isnull=True)
        .order_by("pk")
        .values_list("pk", "department_id", "recommendation_id", "recommendation__report_id")
    )
    for start in range(0, len(missing), CHUNK):
        FollowUpProgress.objects.bulk_create(
            FollowUpProgress(
                followup_id=pk,
                department_id=department_id,
                recommendation_id=recommendation_id,
                report_id=report_id,
            )
            for pk, department_id, recommendation_id, report_id in missing[start : start + CHUNK]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0005_progress_published"),
        ("recommendations", "0004_list_sort_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="followupprogress",
            name="recommendation",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=models.deletion.CASCADE,
                related_name="+",
                to="recommendations.recommendation",
                verbose_name="recommendation",
            ),
        ),
        migrations.AddField(
            model_name="followupprogress",
            name="report",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=models.deletion.CASCADE,
                related_name="+",
                to="recommendations.annualreport",
                verbose_name="annual report",
            ),
        ),
        migrations.AlterField(
            model_name="followupprogress",
            name="latest_status",
            field=models.CharField(
                blank=True,
                choices=STATUS_CHOICES,
                help_text="The status of the latest round (by deadline) with a status; "
                "empty if none.",
                max_length=20,
                verbose_name="latest status",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
