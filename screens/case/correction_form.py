"""The 更正 dialog's fields: the record form's fields a person may correct, filled
with the complaint's values, and the reason."""

from __future__ import annotations

from complaintdesk.domain.enums import Category, Channel, Priority, Role
from complaintdesk.domain.validation import FIELD_LABELS
from complaintdesk.process.corrections import correctable_fields, form_values

from screens.widgets.form_dialog import FormField

_CHOICES = {"channel": Channel, "category": Category, "priority": Priority}
_AREAS = {"event", "demand"}


def correction_fields(role: Role) -> list[FormField]:
    fields = []
    for name in correctable_fields(role):
        label = FIELD_LABELS[name]
        if name in _CHOICES:
            fields.append(FormField(name, label, kind="choice",
                                    options=[(m.value, m.label) for m in _CHOICES[name]]))
        elif name in _AREAS:
            fields.append(FormField(name, label, kind="area", height=4))
        else:
            fields.append(FormField(name, label))
    fields.append(FormField("reason", "更正原因（必填，记入处理记录）", kind="area", height=3,
                            placeholder="如：登记时联系方式记错一位"))
    return fields


def correction_values(complaint, role: Role) -> dict[str, object]:  # type: ignore[no-untyped-def]
    values = form_values(complaint)
    out: dict[str, object] = {name: ("" if values[name] is None else str(values[name]))
                              for name in correctable_fields(role)}
    out["reason"] = ""
    return out


def changed_fields(before: dict[str, object], after: dict[str, object]) -> dict[str, object]:
    """What the person changed in the dialog (the reason aside)."""
    return {name: value for name, value in after.items()
            if name != "reason" and str(value or "").strip() != str(before.get(name) or "").strip()}


__all__ = ["changed_fields", "correction_fields", "correction_values"]
