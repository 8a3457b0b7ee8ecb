// Shopping cart totals in the browser.

export function cartTotal(cart, shipping) {
  let total = 0;
  for (const line of cart.lines) {
    if (line.quantity <= 0) {
      continue;
    }
    total += line.price * line.quantity;
  }
  if (total > 0 && total < 50) {
    total += shipping;
  }
  return Math.round(total * 100) / 100;
}

export function emptyCart(cart) {
  cart.lines = [];
}
