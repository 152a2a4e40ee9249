from orders_site.core.admin import status_badge


def test_a_state_reads_as_a_badge_of_its_tone():
    assert status_badge("on_hold", "On hold") == (
        '<span class="badge badge--attention" data-status="on_hold">On hold</span>'
    )
    assert 'class="badge badge--done"' in status_badge("paid", "Paid")
    assert 'class="badge badge--neutral"' in status_badge("draft", "Draft")


def test_the_label_is_escaped():
    assert "&lt;b&gt;" in status_badge("draft", "<b>")
