from django.template import Context, Template

from recommendations.templatetags.richtext import report_richtext, richtext

TEXT = "Indledning <b>fed</b>\n- Første & punkt\n• Andet punkt\nAfslutning"


def test_richtext_escapes_user_text_and_leaves_bullets_to_the_style_sheet():
    html = richtext(TEXT)
    assert html == (
        "<p>Indledning &lt;b&gt;fed&lt;/b&gt;</p>"
        "<ul><li>Første &amp; punkt</li><li>Andet punkt</li></ul>"
        "<p>Afslutning</p>"
    )


def test_report_richtext_prints_each_bullet_as_the_items_own_text():
    html = report_richtext(TEXT)
    assert html == (
        "<p>Indledning &lt;b&gt;fed&lt;/b&gt;</p>"
        "<ul><li>\u2022 Første &amp; punkt</li><li>\u2022 Andet punkt</li></ul>"
        "<p>Afslutning</p>"
    )
    # The preview, embedded in a page of the design system, draws its bullets itself.
    assert report_richtext(TEXT, True) == richtext(TEXT)


def test_report_richtext_in_a_template_escapes_what_a_user_typed():
    template = Template("{% load richtext %}{{ text|report_richtext:embedded }}")
    html = template.render(Context({"text": "- <script>x</script>", "embedded": False}))
    assert html == "<ul><li>\u2022 &lt;script&gt;x&lt;/script&gt;</li></ul>"
