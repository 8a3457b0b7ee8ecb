//! Inventory bookkeeping for a small warehouse.

use std::collections::HashMap;
use std::fmt::Write;

pub const DEFAULT_LOCATION: &str = "main";

/// One line of stock.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub sku: String,
    pub quantity: i64,
}

/// How much of an item is left.
pub enum StockLevel {
    Empty,
    Low(i64),
    Plenty,
}

/// Parse a tiny key = value configuration format.
/// Blank lines and comments are skipped.
pub fn parse_config(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            out.insert(key.trim().to_string(), value.trim().to_string());
        }
    }
    out
}

/// Upper-case a stock keeping unit and drop separators.
pub fn normalize_sku(sku: &str) -> String {
    sku.chars().filter(|c| *c != '-' && *c != ' ').collect::<String>().to_uppercase()
}

/// All the stock of one location, with reservations.
pub struct Inventory {
    pub location: String,
    items: HashMap<String, Item>,
    reserved: HashMap<String, i64>,
}

impl Inventory {
    /// An empty inventory at the default location.
    pub fn new() -> Self {
        Inventory {
            location: DEFAULT_LOCATION.to_string(),
            items: HashMap::new(),
            reserved: HashMap::new(),
        }
    }

    /// Increase the stock of `sku`, creating the item if needed.
    pub fn add_stock(&mut self, sku: &str, quantity: i64) -> &Item {
        let key = normalize_sku(sku);
        let item = self.items.entry(key.clone()).or_insert(Item { sku: key, quantity: 0 });
        item.quantity += quantity;
        item
    }

    /// The stock of `sku` that is not reserved.
    pub fn available(&self, sku: &str) -> i64 {
        let key = normalize_sku(sku);
        let held = self.reserved.get(&key).copied().unwrap_or(0);
        self.items.get(&key).map(|i| i.quantity).unwrap_or(0) - held
    }
}

pub mod units {
    /// Kilograms to whole grams.
    pub fn to_grams(kilograms: f64) -> i64 {
        let grams = kilograms * 1000.0;
        grams.round() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_separators() {
        assert_eq!(normalize_sku("ab-12 c"), "AB12C");
    }
}

/// One line of text per report field.
pub fn render_report(inventory: &Inventory) -> String {
    let mut b = String::new();
    writeln!(b, "Inventory report").unwrap();
    writeln!(b, "================").unwrap();
    writeln!(b, "location: {}", inventory.location).unwrap();
    writeln!(b, "items: {}", inventory.items.len()).unwrap();
    let mut skus: Vec<&String> = inventory.items.keys().collect();
    skus.sort();
    for sku in &skus {
        writeln!(b, "  {}: {}", sku, inventory.items[*sku].quantity).unwrap();
    }
    writeln!(b).unwrap();
    writeln!(b, "Totals").unwrap();
    writeln!(b, "------").unwrap();
    let mut total = 0;
    for item in inventory.items.values() {
        total += item.quantity;
    }
    writeln!(b, "units: {}", total).unwrap();
    let mut held = 0;
    for quantity in inventory.reserved.values() {
        held += quantity;
    }
    writeln!(b, "held: {}", held).unwrap();
    writeln!(b, "free: {}", total - held).unwrap();
    writeln!(b).unwrap();
    writeln!(b, "Low stock").unwrap();
    writeln!(b, "---------").unwrap();
    for sku in &skus {
        let free = inventory.available(sku);
        if free < 5 {
            writeln!(b, "  {}: {} left", sku, free).unwrap();
        }
    }
    writeln!(b).unwrap();
    writeln!(b, "Empty items").unwrap();
    writeln!(b, "-----------").unwrap();
    for sku in &skus {
        if inventory.items[*sku].quantity == 0 {
            writeln!(b, "  {}", sku).unwrap();
        }
    }
    writeln!(b).unwrap();
    writeln!(b, "Checks").unwrap();
    writeln!(b, "------").unwrap();
    let mut negative = 0;
    for sku in &skus {
        if inventory.available(sku) < 0 {
            negative += 1;
            writeln!(b, "  over-reserved {}", sku).unwrap();
        }
    }
    writeln!(b, "over-reserved: {}", negative).unwrap();
    writeln!(b).unwrap();
    writeln!(b, "Summary").unwrap();
    writeln!(b, "-------").unwrap();
    writeln!(b, "{} items, {} units, {} held", skus.len(), total, held).unwrap();
    writeln!(b, "end of report").unwrap();
    b
}
