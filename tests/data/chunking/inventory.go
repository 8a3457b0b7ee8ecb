// Package inventory keeps the stock of a small warehouse.
package inventory

import (
	"fmt"
	"sort"
	"strings"
)

// DefaultLocation is where new inventories live.
const DefaultLocation = "main"

// Item is one line of stock.
type Item struct {
	SKU      string
	Quantity int
}

// Inventory holds all the stock of one location, with reservations.
type Inventory struct {
	Location string
	items    map[string]*Item
	reserved map[string]int
}

// ParseConfig reads a tiny key = value configuration format.
// Blank lines and comments are skipped.
func ParseConfig(text string) map[string]string {
	out := map[string]string{}
	for _, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, _ := strings.Cut(line, "=")
		out[strings.TrimSpace(key)] = strings.TrimSpace(value)
	}
	return out
}

// NormalizeSKU upper-cases a stock keeping unit and drops separators.
func NormalizeSKU(sku string) string {
	sku = strings.ReplaceAll(sku, "-", "")
	sku = strings.ReplaceAll(sku, " ", "")
	return strings.ToUpper(sku)
}

// AddStock increases the stock of sku, creating the item if needed.
func (inv *Inventory) AddStock(sku string, quantity int) *Item {
	key := NormalizeSKU(sku)
	item, ok := inv.items[key]
	if !ok {
		item = &Item{SKU: key}
		inv.items[key] = item
	}
	item.Quantity += quantity
	return item
}

// Available is the stock of sku that is not reserved.
func (inv *Inventory) Available(sku string) int {
	key := NormalizeSKU(sku)
	free := -inv.reserved[key]
	if item, ok := inv.items[key]; ok {
		free += item.Quantity
	}
	return free
}

// RenderReport writes one line of text per report field.
func RenderReport(inv *Inventory) string {
	var b strings.Builder
	fmt.Fprintln(&b, "Inventory report")
	fmt.Fprintln(&b, "================")
	fmt.Fprintf(&b, "location: %s\n", inv.Location)
	fmt.Fprintf(&b, "items: %d\n", len(inv.items))
	skus := make([]string, 0, len(inv.items))
	for sku := range inv.items {
		skus = append(skus, sku)
	}
	sort.Strings(skus)
	for _, sku := range skus {
		fmt.Fprintf(&b, "  %s: %d\n", sku, inv.items[sku].Quantity)
	}
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "Totals")
	fmt.Fprintln(&b, "------")
	total := 0
	for _, item := range inv.items {
		total += item.Quantity
	}
	fmt.Fprintf(&b, "units: %d\n", total)
	held := 0
	for _, quantity := range inv.reserved {
		held += quantity
	}
	fmt.Fprintf(&b, "held: %d\n", held)
	fmt.Fprintf(&b, "free: %d\n", total-held)
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "Low stock")
	fmt.Fprintln(&b, "---------")
	for _, sku := range skus {
		if inv.Available(sku) < 5 {
			fmt.Fprintf(&b, "  %s: %d left\n", sku, inv.Available(sku))
		}
	}
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "Empty items")
	fmt.Fprintln(&b, "-----------")
	for _, sku := range skus {
		if inv.items[sku].Quantity == 0 {
			fmt.Fprintf(&b, "  %s\n", sku)
		}
	}
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "Checks")
	fmt.Fprintln(&b, "------")
	negative := 0
	for _, sku := range skus {
		if inv.Available(sku) < 0 {
			negative++
			fmt.Fprintf(&b, "  over-reserved %s\n", sku)
		}
	}
	fmt.Fprintf(&b, "over-reserved: %d\n", negative)
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "Summary")
	fmt.Fprintln(&b, "-------")
	fmt.Fprintf(&b, "%d items, %d units, %d held\n", len(skus), total, held)
	fmt.Fprintln(&b, "end of report")
	return b.String()
}
