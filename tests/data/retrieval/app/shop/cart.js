// Shopping cart arithmetic.

function cartTotal(items) {
  let total = 0;
  for (const item of items) {
    total += item.price * item.quantity;
  }
  return total;
}

function applyDiscount(total, percent) {
  const discount = (total * percent) / 100;
  return total - discount;
}

module.exports = { cartTotal, applyDiscount };
