"""Small pieces of HTML written in Python where a template would cost too much (see
product_rows.py for why). Every value and label is escaped here."""

from html import escape


def option_tags(choices) -> str:
    """<option> tags for (value, label) pairs, escaped; none of them selected."""
    return "".join(
        f'<option value="{escape("" if v is None else str(v))}">{escape(str(label))}</option>'
        for v, label in choices
    )


def mark_selected(options_html: str, selected: set[str]) -> str:
    for value in selected:
        tag = f'<option value="{escape(value)}">'
        options_html = options_html.replace(tag, f"{tag[:-1]} selected>", 1)
    return options_html
