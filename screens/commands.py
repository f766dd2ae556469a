"""Command palette: go to a complaint by its 受理编号."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING

from textual.command import Hit, Hits, Provider
from textual.content import Content

from complaintdesk.process.complaints import find_numbers

from screens.messages import OpenComplaint

if TYPE_CHECKING:
    from screens.desk_app import DeskApp


class GoToComplaint(Provider):
    """Type part of a number (``0007``, ``20261123-0007``, ``TS-2026…``)."""

    app: "DeskApp"

    async def search(self, query: str) -> Hits:
        query = query.strip()
        if len(query) < 2:
            return
        found = await asyncio.to_thread(find_numbers, self.app.desk, query, 20)
        for number, customer in found:
            yield Hit(
                1.0,
                Content.from_markup("转到投诉 $number  $customer", number=number, customer=customer),
                partial(self.app.post_message, OpenComplaint(number)),
                text=number,
                help="打开这件投诉的完整记录",
            )
