// Inventory bookkeeping for a small warehouse.
import { readFileSync } from "node:fs";

const DEFAULT_LOCATION = "main";

/**
 * Parse a tiny key = value configuration format.
 * Blank lines and comments are skipped.
 */
function parseConfig(text) {
  const out = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const [key, value] = line.split("=");
    out[key.trim()] = (value || "").trim();
  }
  return out;
}

/** Upper-case a stock keeping unit and drop separators. */
const normalizeSku = (sku) => {
  return sku.replace(/-/g, "").replace(/ /g, "").toUpperCase();
};

function makeCounter(start = 0) {
  // the nested function stays inside its parent
  function step(by = 1) {
    start += by;
    return start;
  }
  return step;
}

/** All the stock of one location, with reservations. */
class Inventory {
  static defaultLocation = DEFAULT_LOCATION;
  static lowStockThreshold = 5;
  static reportTitle = "Inventory report";

  constructor(items = []) {
    this.location = DEFAULT_LOCATION;
    this.items = new Map(items.map((i) => [normalizeSku(i.sku), i]));
    this.reserved = new Map();
  }

  /** Increase the stock of `sku`, creating the item if needed. */
  addStock(sku, quantity) {
    const key = normalizeSku(sku);
    const item = this.items.get(key) || { sku: key, quantity: 0 };
    item.quantity += quantity;
    this.items.set(key, item);
    return item;
  }

  /** Hold back units for an order; false when not enough are free. */
  reserve(sku, quantity) {
    const key = normalizeSku(sku);
    if (this.available(key) < quantity) {
      return false;
    }
    this.reserved.set(key, (this.reserved.get(key) || 0) + quantity);
    return true;
  }

  available(sku) {
    const key = normalizeSku(sku);
    const item = this.items.get(key);
    const held = this.reserved.get(key) || 0;
    return (item ? item.quantity : 0) - held;
  }
}

function renderReport(inventory) {
  const lines = [];
  lines.push("Inventory report");
  lines.push("================");
  lines.push(`location: ${inventory.location}`);
  lines.push(`items: ${inventory.items.size}`);
  for (const [sku, item] of inventory.items) {
    lines.push(`  ${sku}: ${item.quantity}`);
  }
  lines.push("");
  lines.push("Totals");
  lines.push("------");
  let total = 0;
  for (const item of inventory.items.values()) {
    total += item.quantity;
  }
  lines.push(`units: ${total}`);
  let held = 0;
  for (const quantity of inventory.reserved.values()) {
    held += quantity;
  }
  lines.push(`held: ${held}`);
  lines.push(`free: ${total - held}`);
  lines.push("");
  lines.push("Low stock");
  lines.push("---------");
  for (const sku of inventory.items.keys()) {
    if (inventory.available(sku) < 5) {
      lines.push(`  ${sku}: ${inventory.available(sku)} left`);
    }
  }
  lines.push("");
  lines.push("Reservations");
  lines.push("------------");
  for (const [sku, quantity] of inventory.reserved) {
    lines.push(`  ${sku}: ${quantity}`);
  }
  lines.push("");
  lines.push("Empty items");
  lines.push("-----------");
  for (const [sku, item] of inventory.items) {
    if (item.quantity === 0) {
      lines.push(`  ${sku}`);
    }
  }
  lines.push("");
  lines.push("Largest items");
  lines.push("-------------");
  const ranked = [...inventory.items.values()].sort((a, b) => b.quantity - a.quantity);
  for (const item of ranked.slice(0, 10)) {
    lines.push(`  ${item.sku}: ${item.quantity}`);
  }
  lines.push("");
  lines.push("Smallest items");
  lines.push("--------------");
  for (const item of ranked.slice(-10)) {
    lines.push(`  ${item.sku}: ${item.quantity}`);
  }
  lines.push("");
  lines.push("Checks");
  lines.push("------");
  const negative = [...inventory.items.keys()].filter((s) => inventory.available(s) < 0);
  lines.push(`over-reserved: ${negative.length}`);
  lines.push("");
  lines.push("Summary");
  lines.push("-------");
  lines.push(`${inventory.items.size} items, ${total} units, ${held} held`);
  lines.push("end of report");
  return lines.join("\n");
}

export { parseConfig, normalizeSku, makeCounter, Inventory, renderReport, readFileSync };
