"""Form fields for the admin: a JSON list of short texts edited one per line."""

from django import forms


class LinesField(forms.CharField):
    """A list of strings (notes, alternative titles) as a textarea of one item per line.

    Blank lines and the spaces around an item are dropped: the archive keeps the list
    the loaders make, never an empty item.
    """

    def __init__(self, *, rows=3, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": rows}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        text = super().to_python(value)
        return [line.strip() for line in text.splitlines() if line.strip()]
