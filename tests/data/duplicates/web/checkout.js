// Checkout: the order summary shown before payment.

export function orderTotal(order, shipping) {
  let total = 0;
  for (const line of order.lines) {
    if (line.quantity <= 0) {
      continue;
    }
    total += line.price * line.quantity;
  }
  if (total > 0 && total < 50) {
    total += shipping;
  }
  total += order.giftWrap ? 4.5 : 0;
  return Math.round(total * 100) / 100;
}

export function formatPrice(amount) {
  return `$${amount.toFixed(2)}`;
}
