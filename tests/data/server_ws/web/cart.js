function addItemToCart(cart, item) {
  cart.items.push(item);
  cart.total += item.price;
  return cart;
}

function removeItemFromCart(cart, itemId) {
  cart.items = cart.items.filter((item) => item.id !== itemId);
  cart.total = cart.items.reduce((sum, item) => sum + item.price, 0);
  return cart;
}

module.exports = { addItemToCart, removeItemFromCart };
