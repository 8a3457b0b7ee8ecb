"""Invoices: totals with tax and discounts."""

from decimal import ROUND_HALF_UP, Decimal


def compute_invoice_total(items, tax_rate, discount_code=None):
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
    tax = subtotal * Decimal(tax_rate)
    total = subtotal + tax
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def invoice_number(year, sequence):
    return f"INV-{year}-{sequence:06d}"
