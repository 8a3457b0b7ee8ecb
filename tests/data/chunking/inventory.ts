// Inventory bookkeeping for a small warehouse.
import { readFileSync } from "node:fs";

export const DEFAULT_LOCATION = "main";

/** One line of stock. */
export interface Item {
  sku: string;
  quantity: number;
}

export type Reservations = Map<string, number>;

export enum StockLevel {
  Empty,
  Low,
  Plenty,
}

/**
 * Parse a tiny key = value configuration format.
 */
export function parseConfig(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const [key, value] = line.split("=");
    out[key.trim()] = (value ?? "").trim();
  }
  return out;
}

export const normalizeSku = (sku: string): string => {
  return sku.replace(/-/g, "").replace(/ /g, "").toUpperCase();
};

export namespace Units {
  export function toGrams(kilograms: number): number {
    const grams = kilograms * 1000;
    return Math.round(grams);
  }

  export function toKilograms(grams: number): number {
    const kilograms = grams / 1000;
    return Math.round(kilograms * 100) / 100;
  }
}

/** All the stock of one location, with reservations. */
export class Inventory {
  readonly location: string = DEFAULT_LOCATION;
  private items = new Map<string, Item>();
  private reserved: Reservations = new Map<string, number>();

  constructor(items: Item[] = []) {
    for (const item of items) {
      this.items.set(normalizeSku(item.sku), item);
    }
  }

  /** Increase the stock of `sku`, creating the item if needed. */
  @logged
  addStock(sku: string, quantity: number): Item {
    const key = normalizeSku(sku);
    const item = this.items.get(key) ?? { sku: key, quantity: 0 };
    item.quantity += quantity;
    this.items.set(key, item);
    return item;
  }

  reserve(sku: string, quantity: number): boolean {
    const key = normalizeSku(sku);
    if (this.available(key) < quantity) {
      return false;
    }
    this.reserved.set(key, (this.reserved.get(key) ?? 0) + quantity);
    return true;
  }

  available(sku: string): number {
    const key = normalizeSku(sku);
    const item = this.items.get(key);
    const held = this.reserved.get(key) ?? 0;
    return (item ? item.quantity : 0) - held;
  }
}

function logged(target: unknown, name: string, descriptor: PropertyDescriptor): PropertyDescriptor {
  return descriptor;
}

export function renderReport(inventory: Inventory, skus: string[]): string {
  const lines: string[] = [];
  lines.push("Inventory report");
  lines.push("================");
  lines.push(`location: ${inventory.location}`);
  lines.push(`items: ${skus.length}`);
  for (const sku of skus) {
    lines.push(`  ${sku}: ${inventory.available(sku)}`);
  }
  lines.push("");
  lines.push("Totals");
  lines.push("------");
  let total = 0;
  for (const sku of skus) {
    total += inventory.available(sku);
  }
  lines.push(`units: ${total}`);
  lines.push("");
  lines.push("Low stock");
  lines.push("---------");
  for (const sku of skus) {
    if (inventory.available(sku) < 5) {
      lines.push(`  ${sku}: ${inventory.available(sku)} left`);
    }
  }
  lines.push("");
  lines.push("Empty items");
  lines.push("-----------");
  for (const sku of skus) {
    if (inventory.available(sku) === 0) {
      lines.push(`  ${sku}`);
    }
  }
  lines.push("");
  lines.push("Largest items");
  lines.push("-------------");
  const ranked = [...skus].sort((a, b) => inventory.available(b) - inventory.available(a));
  for (const sku of ranked.slice(0, 10)) {
    lines.push(`  ${sku}: ${inventory.available(sku)}`);
  }
  lines.push("");
  lines.push("Smallest items");
  lines.push("--------------");
  for (const sku of ranked.slice(-10)) {
    lines.push(`  ${sku}: ${inventory.available(sku)}`);
  }
  lines.push("");
  lines.push("Checks");
  lines.push("------");
  const negative = skus.filter((s) => inventory.available(s) < 0);
  lines.push(`over-reserved: ${negative.length}`);
  for (const sku of negative) {
    lines.push(`  ${sku}`);
  }
  lines.push("");
  lines.push("Summary");
  lines.push("-------");
  lines.push(`${skus.length} items, ${total} units`);
  lines.push("end of report");
  return lines.join("\n");
}

export { readFileSync };
