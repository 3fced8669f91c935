from newsflow.watch import WatchFilter, format_line
from schemas.contracts import example


def test_original_line_shows_time_language_outlet_title_and_id() -> None:
    line = format_line(example("processed.v1"))
    assert line == "07:41:03 [en] Example News · Harbour reopens after the storm  (3f0c2a9b)"


def test_duplicate_is_indented_under_its_story_with_the_relation() -> None:
    message = example("processed.v1")
    message["dedupe"] = dict(
        message["dedupe"], relation="exact_duplicate", duplicate_of="ab" * 16, cross_outlet=True
    )
    line = format_line(message)
    assert line.startswith("    ↳ exact_duplicate of abababab (another outlet")


def test_right_to_left_titles_are_isolated() -> None:
    message = example("processed.v1")
    message["title"], message["tags"] = "خبر عاجل", dict(message["tags"], language="ar")
    assert "\u2066خبر عاجل\u2069" in format_line(message)


def test_filters() -> None:
    message = example("processed.v1")
    assert WatchFilter().accepts(message)
    assert WatchFilter(language="en", relation="original", outlet="Example News").accepts(message)
    assert not WatchFilter(language="ar").accepts(message)
    assert not WatchFilter(relation="exact_duplicate").accepts(message)
