"""客户联系方式: what a contact is, and the key that recognises a repeat customer.

A contact is kept as it was written (that is what staff read back to the
customer) and matched by its key:

* a phone number — mobile, landline with area code, 400/800 numbers, or a number
  abroad with its country code — parsed with Google's libphonenumber
  (``phonenumbers``), mainland China assumed when no country code is given.
  ``+86 138 0000 1111``, ``0086-138-0000-1111``, ``13800001111`` and
  ``１３８００００１１１１`` (full-width) are the same customer: key
  ``+8613800001111``. An extension (``转 123``, ``分机 123``, ``ext 123``,
  ``x123``, ``#123``) is part of the key: ``+861012345678;ext=123``.
* an e-mail address: key in lower case.
* a WeChat id (微信号: a letter, then 5–19 letters, digits, ``_`` or ``-``),
  written bare or after ``微信``/``微信号``/``wechat``/``wx``: key ``wechat:`` + the
  id in lower case.

Anything else is refused with the accepted forms. Full-width characters are
folded first (NFKC), as Chinese input methods often type them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: Where a number without a country code is dialled from.
DEFAULT_REGION = "CN"

ACCEPTED = ("请填写手机号（如 138 0000 1111、+86 138-0000-1111）、座机（如 010-1234 5678 转 123）、"
            "电子邮箱（如 wang@example.com）或微信号（如 微信 wxid_abc123）")

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+", re.ASCII)
_WECHAT_ID = r"[A-Za-z][A-Za-z0-9_-]{5,19}"
# A bare id first (``wxid_abc123`` is an id, not "wx" + "id_abc123"); a prefix
# counts only when a space or colon follows it, or it is 微信/微信号.
_WECHAT_BARE = re.compile(_WECHAT_ID)
_WECHAT_PREFIXED = re.compile(
    rf"(?:微信号?\s*[:：]?\s*|(?:wechat|weixin|wx)(?:\s*[:：]\s*|\s+))({_WECHAT_ID})",
    re.IGNORECASE)
_EXTENSION = re.compile(r"\s*(?:转|分机|ext\.?|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)
_PHONE_CHARS = re.compile(r"[+\d\s\-().（）/]+")
_SEPARATORS = re.compile(r"[\s\-().（）/]")
# The two forms most contacts take, answered without libphonenumber (50 µs a
# number, a minute of a million-complaint demo): a mainland mobile, and a
# landline with its 3- or 4-digit area code; the key is what libphonenumber gives.
_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[3-9]\d{9})", re.ASCII)
_LANDLINE = re.compile(r"(?:\+86|0086)?0?((?:10|2\d|[3-9]\d{2})[2-9]\d{6,7})", re.ASCII)


@dataclass(frozen=True)
class Contact:
    kind: str   # phone | email | wechat
    key: str


def parse_contact(text: str) -> Contact:
    """Recognise a contact.

    Raises:
        ValueError: with the accepted forms, in Chinese.
    """
    value = unicodedata.normalize("NFKC", text).strip()
    if not value:
        raise ValueError("必填")
    if "@" in value:
        if _EMAIL.fullmatch(value):
            return Contact("email", value.lower())
        raise ValueError(f"电子邮箱格式不对：{ACCEPTED}")
    if _WECHAT_BARE.fullmatch(value):  # an id begins with a letter: never a number
        return Contact("wechat", "wechat:" + value.lower())
    wechat = _WECHAT_PREFIXED.fullmatch(value)
    if wechat:
        return Contact("wechat", "wechat:" + wechat.group(1).lower())
    number, extension = value, None
    found = _EXTENSION.search(value)
    if found:
        number, extension = value[:found.start()], found.group(1)
    if _PHONE_CHARS.fullmatch(number) and any(c.isdigit() for c in number):
        compact = _SEPARATORS.sub("", number)
        fast = _MOBILE.fullmatch(compact) or (_LANDLINE.fullmatch(compact)
                                              if compact.startswith(("0", "+86")) else None)
        if fast and _valid_national(fast.group(1)):
            return Contact("phone", "+86" + fast.group(1) + (f";ext={extension}" if extension else ""))
        phonenumbers = _library()
        try:
            parsed = phonenumbers.parse(number, DEFAULT_REGION)
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is not None and phonenumbers.is_valid_number(parsed):
            key = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            return Contact("phone", key + (f";ext={extension}" if extension else ""))
        raise ValueError(f"不是有效的电话号码：{ACCEPTED}")
    raise ValueError(f"无法识别的联系方式：{ACCEPTED}")


_VERDICTS: dict[tuple[str, int], bool] = {}


def _library():  # type: ignore[no-untyped-def]
    """libphonenumber, imported when a number first needs it (30 ms: not on
    every start of every command)."""
    import phonenumbers

    return phonenumbers


def _valid_national(national: str) -> bool:
    """libphonenumber's verdict on a mainland number, asked once per leading five
    digits and length (its rules for China go no deeper than the first five)."""
    key = (national[:5], len(national))
    if key not in _VERDICTS:
        phonenumbers = _library()
        _VERDICTS[key] = phonenumbers.is_valid_number(phonenumbers.parse("+86" + national, None))
    return _VERDICTS[key]


def searchable(text: str) -> str:
    """A contact as the search index holds it beside the text as written:
    full-width folded, no spaces, dashes or brackets, lower case. A pure function
    of the text (no library's rules), so that what a contentless index was given
    can always be given again to delete it."""
    return re.sub(r"[\s\-()（）]", "", unicodedata.normalize("NFKC", text)).lower()


def contact_key(text: str) -> str:
    """The key of a contact; for text that is no contact (a search term, an old
    record), the text without spaces, dashes and brackets, in lower case."""
    try:
        return parse_contact(text).key
    except ValueError:
        return searchable(text)


__all__ = ["ACCEPTED", "Contact", "contact_key", "parse_contact", "searchable"]


#: Roles whose exports carry customers' contacts in full: the supervisors (who
#: follow cases up with the customer) and the admins (who move the data). Counter
#: clerks and handlers read a contact on the record of the case in front of them;
#: their bulk exports carry it masked, as the queue shows it.
FULL_CONTACT_ROLES = frozenset({"supervisor", "admin"})


def exports_full_contacts(role: object) -> bool:
    """``role``: a Role or its code."""
    return str(getattr(role, "value", role)) in FULL_CONTACT_ROLES
