<?php
// Inventory bookkeeping for a small warehouse.

namespace Warehouse;

use InvalidArgumentException;

const DEFAULT_LOCATION = 'main';

/**
 * Parse a tiny key = value configuration format.
 */
function parse_config(string $text): array
{
    $out = [];
    foreach (explode("\n", $text) as $raw) {
        $line = trim($raw);
        if ($line === '' || str_starts_with($line, '#')) {
            continue;
        }
        [$key, $value] = array_pad(explode('=', $line, 2), 2, '');
        $out[trim($key)] = trim($value);
    }
    return $out;
}

interface Counter
{
    public function count(string $sku): int;
}

/**
 * All the stock of one location, with reservations.
 */
class Inventory implements Counter
{
    public const LOW_STOCK = 5;
    private array $items = [];
    private array $reserved = [];
    private string $location = DEFAULT_LOCATION;

    /** Upper-case a stock keeping unit and drop separators. */
    public static function normalizeSku(string $sku): string
    {
        return strtoupper(str_replace(['-', ' '], '', $sku));
    }

    /** Increase the stock of a SKU, creating the item if needed. */
    #[\Deprecated]
    public function addStock(string $sku, int $quantity): int
    {
        if ($quantity < 0) {
            throw new InvalidArgumentException('negative quantity');
        }
        $key = self::normalizeSku($sku);
        $this->items[$key] = ($this->items[$key] ?? 0) + $quantity;
        return $this->items[$key];
    }

    public function count(string $sku): int
    {
        $key = self::normalizeSku($sku);
        return ($this->items[$key] ?? 0) - ($this->reserved[$key] ?? 0);
    }

    /** One line of text per report field. */
    public function renderReport(): string
    {
        $lines = [];
        $lines[] = 'Inventory report';
        $lines[] = '================';
        $lines[] = "location: {$this->location}";
        $lines[] = 'items: ' . count($this->items);
        ksort($this->items);
        foreach ($this->items as $sku => $quantity) {
            $lines[] = "  $sku: $quantity";
        }
        $lines[] = '';
        $lines[] = 'Totals';
        $lines[] = '------';
        $total = array_sum($this->items);
        $held = array_sum($this->reserved);
        $lines[] = "units: $total";
        $lines[] = "held: $held";
        $lines[] = 'free: ' . ($total - $held);
        $lines[] = '';
        $lines[] = 'Low stock';
        $lines[] = '---------';
        foreach (array_keys($this->items) as $sku) {
            $free = $this->count($sku);
            if ($free < self::LOW_STOCK) {
                $lines[] = "  $sku: $free left";
            }
        }
        $lines[] = '';
        $lines[] = 'Empty items';
        $lines[] = '-----------';
        foreach ($this->items as $sku => $quantity) {
            if ($quantity === 0) {
                $lines[] = "  $sku";
            }
        }
        $lines[] = '';
        $lines[] = 'Reservations';
        $lines[] = '------------';
        foreach ($this->reserved as $sku => $quantity) {
            $lines[] = "  $sku: $quantity";
        }
        $lines[] = '';
        $lines[] = 'Checks';
        $lines[] = '------';
        $negative = 0;
        foreach (array_keys($this->items) as $sku) {
            if ($this->count($sku) < 0) {
                $negative++;
                $lines[] = "  over-reserved $sku";
            }
        }
        $lines[] = "over-reserved: $negative";
        $lines[] = '';
        $lines[] = 'Summary';
        $lines[] = '-------';
        $lines[] = count($this->items) . " items, $total units, $held held";
        $lines[] = 'end of report';
        return implode("\n", $lines);
    }
}
