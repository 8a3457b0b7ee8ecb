"""Quotes: like invoices, but valid for a while and never below the minimum charge."""

from decimal import ROUND_HALF_UP, Decimal

MINIMUM_CHARGE = Decimal("25.00")


def compute_quote_total(items, tax_rate, discount_code=None):
    subtotal = Decimal("0")
    for item in items:
        if item.quantity <= 0:
            continue
        line_total = Decimal(item.unit_price) * item.quantity
        subtotal += line_total
    if discount_code == "WELCOME10":
        subtotal = subtotal * Decimal("0.90")
    elif discount_code == "LOYAL5":
        subtotal = subtotal * Decimal("0.95")
    subtotal = max(subtotal, MINIMUM_CHARGE)
    tax = subtotal * Decimal(tax_rate)
    total = subtotal + tax
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def quote_is_valid(quote, today):
    return quote.valid_until is None or today <= quote.valid_until
