package com.example.warehouse;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * All the stock of one location, with reservations.
 */
public class Inventory {
    public static final String DEFAULT_LOCATION = "main";
    private final Map<String, Integer> items = new HashMap<>();
    private final Map<String, Integer> reserved = new HashMap<>();
    private String location = DEFAULT_LOCATION;

    /** One line of stock. */
    public record Item(String sku, int quantity) {}

    public Inventory(String location) {
        this.location = location;
    }

    /**
     * Upper-case a stock keeping unit and drop separators.
     */
    public static String normalizeSku(String sku) {
        return sku.replace("-", "").replace(" ", "").toUpperCase();
    }

    /** Increase the stock of {@code sku}, creating the item if needed. */
    @Override
    public int addStock(String sku, int quantity) {
        String key = normalizeSku(sku);
        int now = items.getOrDefault(key, 0) + quantity;
        items.put(key, now);
        return now;
    }

    /** The stock of {@code sku} that is not reserved. */
    public int available(String sku) {
        String key = normalizeSku(sku);
        int held = reserved.getOrDefault(key, 0);
        return items.getOrDefault(key, 0) - held;
    }

    /** Hold back units for an order; false when not enough are free. */
    public boolean reserve(String sku, int quantity) {
        String key = normalizeSku(sku);
        if (available(key) < quantity) {
            return false;
        }
        reserved.merge(key, quantity, Integer::sum);
        return true;
    }

    /** One line of text per report field. */
    public String renderReport() {
        StringBuilder b = new StringBuilder();
        b.append("Inventory report\n");
        b.append("================\n");
        b.append("location: ").append(location).append('\n');
        b.append("items: ").append(items.size()).append('\n');
        Map<String, Integer> sorted = new TreeMap<>(items);
        for (Map.Entry<String, Integer> e : sorted.entrySet()) {
            b.append("  ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        b.append('\n');
        b.append("Totals\n");
        b.append("------\n");
        int total = 0;
        for (int quantity : items.values()) {
            total += quantity;
        }
        b.append("units: ").append(total).append('\n');
        int held = 0;
        for (int quantity : reserved.values()) {
            held += quantity;
        }
        b.append("held: ").append(held).append('\n');
        b.append("free: ").append(total - held).append('\n');
        b.append('\n');
        b.append("Low stock\n");
        b.append("---------\n");
        for (String sku : sorted.keySet()) {
            int free = available(sku);
            if (free < 5) {
                b.append("  ").append(sku).append(": ").append(free).append(" left\n");
            }
        }
        b.append('\n');
        b.append("Empty items\n");
        b.append("-----------\n");
        for (Map.Entry<String, Integer> e : sorted.entrySet()) {
            if (e.getValue() == 0) {
                b.append("  ").append(e.getKey()).append('\n');
            }
        }
        b.append('\n');
        b.append("Checks\n");
        b.append("------\n");
        int negative = 0;
        for (String sku : sorted.keySet()) {
            if (available(sku) < 0) {
                negative++;
                b.append("  over-reserved ").append(sku).append('\n');
            }
        }
        b.append("over-reserved: ").append(negative).append('\n');
        b.append('\n');
        b.append("Reservations\n");
        b.append("------------\n");
        for (Map.Entry<String, Integer> e : new TreeMap<>(reserved).entrySet()) {
            b.append("  ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        b.append('\n');
        b.append("Summary\n");
        b.append("-------\n");
        b.append(sorted.size()).append(" items, ").append(total).append(" units\n");
        b.append("end of report\n");
        return b.toString();
    }

    /** Reads stock counts from a scanner. */
    interface Counter {
        int count(String sku);

        default int countAll(Iterable<String> skus) {
            int sum = 0;
            for (String sku : skus) {
                sum += count(sku);
            }
            return sum;
        }
    }
}
