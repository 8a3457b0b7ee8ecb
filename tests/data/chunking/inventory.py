"""Inventory bookkeeping for a small warehouse."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable

DEFAULT_LOCATION = "main"


# Reads one `key = value` setting per line; blank lines and comments are skipped.
def parse_config(text: str) -> dict[str, str]:
    """Parse a tiny key = value configuration format."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        out[key.strip()] = value.strip()
    return out


@functools.lru_cache(maxsize=128)
def normalize_sku(sku: str) -> str:
    """Upper-case a stock keeping unit and drop separators."""
    return sku.replace("-", "").replace(" ", "").upper()


def make_counter(start: int = 0):
    """A closure that counts upwards: the nested function stays inside its parent."""

    def step(by: int = 1) -> int:
        nonlocal start
        start += by
        return start

    return step


@dataclasses.dataclass
class Item:
    """One line of stock."""

    sku: str
    quantity: int = 0

    def total_weight(self, unit_weight: float) -> float:
        return self.quantity * unit_weight


class Inventory:
    """All the stock of one location, with reservations."""

    location: str = DEFAULT_LOCATION

    def __init__(self, items: Iterable[Item] = ()) -> None:
        self.items = {normalize_sku(i.sku): i for i in items}
        self.reserved: dict[str, int] = {}

    def add_stock(self, sku: str, quantity: int) -> Item:
        """Increase the stock of `sku`, creating the item if needed."""
        key = normalize_sku(sku)
        item = self.items.setdefault(key, Item(key))
        item.quantity += quantity
        return item

    def reserve(self, sku: str, quantity: int) -> bool:
        """Hold back `quantity` units for an order; False when not enough are free."""
        key = normalize_sku(sku)
        free = self.available(key)
        if free < quantity:
            return False
        self.reserved[key] = self.reserved.get(key, 0) + quantity
        return True

    def available(self, sku: str) -> int:
        key = normalize_sku(sku)
        item = self.items.get(key)
        held = self.reserved.get(key, 0)
        return (item.quantity if item else 0) - held

    @property
    def skus(self) -> list[str]:
        return sorted(self.items)

    class Audit:
        """Nested class: a record of one stock count."""

        def __init__(self, counted: dict[str, int]) -> None:
            self.counted = counted


def render_report(inventory: Inventory) -> str:
    """A long, oversized function: one line of text per report field."""
    lines = []
    lines.append("Inventory report")
    lines.append("================")
    lines.append(f"location: {inventory.location}")
    lines.append(f"items: {len(inventory.items)}")
    lines.append(f"reserved: {sum(inventory.reserved.values())}")
    for sku in inventory.skus:
        item = inventory.items[sku]
        lines.append(f"  {sku}: {item.quantity}")
    lines.append("")
    lines.append("Totals")
    lines.append("------")
    total = 0
    for item in inventory.items.values():
        total += item.quantity
    lines.append(f"units: {total}")
    held = 0
    for quantity in inventory.reserved.values():
        held += quantity
    lines.append(f"held: {held}")
    lines.append(f"free: {total - held}")
    lines.append("")
    lines.append("Low stock")
    lines.append("---------")
    for sku in inventory.skus:
        if inventory.available(sku) < 5:
            lines.append(f"  {sku}: {inventory.available(sku)} left")
    lines.append("")
    lines.append("Reservations")
    lines.append("------------")
    for sku, quantity in sorted(inventory.reserved.items()):
        lines.append(f"  {sku}: {quantity}")
    lines.append("")
    lines.append("Empty items")
    lines.append("-----------")
    for sku in inventory.skus:
        if inventory.items[sku].quantity == 0:
            lines.append(f"  {sku}")
    lines.append("")
    lines.append("Largest items")
    lines.append("-------------")
    ranked = sorted(inventory.items.values(), key=lambda i: -i.quantity)
    for item in ranked[:10]:
        lines.append(f"  {item.sku}: {item.quantity}")
    lines.append("")
    lines.append("Smallest items")
    lines.append("--------------")
    for item in ranked[-10:]:
        lines.append(f"  {item.sku}: {item.quantity}")
    lines.append("")
    lines.append("Checks")
    lines.append("------")
    negative = [s for s in inventory.skus if inventory.available(s) < 0]
    lines.append(f"over-reserved: {len(negative)}")
    for sku in negative:
        lines.append(f"  {sku}")
    lines.append("")
    lines.append("Summary")
    lines.append("-------")
    lines.append(f"{len(inventory.items)} items, {total} units, {held} held")
    lines.append("end of report")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_report(Inventory([Item("a-1", 3)])))
