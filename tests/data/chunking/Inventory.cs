// Inventory bookkeeping for a small warehouse.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace Warehouse
{
    /// <summary>One line of stock.</summary>
    public record Item(string Sku, int Quantity);

    /// <summary>All the stock of one location, with reservations.</summary>
    public class Inventory
    {
        public const string DefaultLocation = "main";
        private readonly Dictionary<string, int> items = new Dictionary<string, int>();
        private readonly Dictionary<string, int> reserved = new Dictionary<string, int>();

        public string Location { get; set; } = DefaultLocation;

        /// <summary>Upper-case a stock keeping unit and drop separators.</summary>
        public static string NormalizeSku(string sku)
        {
            return sku.Replace("-", "").Replace(" ", "").ToUpperInvariant();
        }

        /// <summary>Increase the stock of a SKU, creating the item if needed.</summary>
        [Obsolete("use Receive")]
        public int AddStock(string sku, int quantity)
        {
            var key = NormalizeSku(sku);
            items.TryGetValue(key, out var have);
            items[key] = have + quantity;
            return items[key];
        }

        /// <summary>The stock of a SKU that is not reserved.</summary>
        public int Available(string sku)
        {
            var key = NormalizeSku(sku);
            items.TryGetValue(key, out var have);
            reserved.TryGetValue(key, out var held);
            return have - held;
        }

        /// <summary>One line of text per report field.</summary>
        public string RenderReport()
        {
            var b = new StringBuilder();
            b.AppendLine("Inventory report");
            b.AppendLine("================");
            b.AppendLine($"location: {Location}");
            b.AppendLine($"items: {items.Count}");
            foreach (var pair in items.OrderBy(p => p.Key))
            {
                b.AppendLine($"  {pair.Key}: {pair.Value}");
            }
            b.AppendLine();
            b.AppendLine("Totals");
            b.AppendLine("------");
            var total = items.Values.Sum();
            var held = reserved.Values.Sum();
            b.AppendLine($"units: {total}");
            b.AppendLine($"held: {held}");
            b.AppendLine($"free: {total - held}");
            b.AppendLine();
            b.AppendLine("Low stock");
            b.AppendLine("---------");
            foreach (var sku in items.Keys.OrderBy(k => k))
            {
                var free = Available(sku);
                if (free < 5)
                {
                    b.AppendLine($"  {sku}: {free} left");
                }
            }
            b.AppendLine();
            b.AppendLine("Empty items");
            b.AppendLine("-----------");
            foreach (var pair in items.Where(p => p.Value == 0))
            {
                b.AppendLine($"  {pair.Key}");
            }
            b.AppendLine();
            b.AppendLine("Reservations");
            b.AppendLine("------------");
            foreach (var pair in reserved.OrderBy(p => p.Key))
            {
                b.AppendLine($"  {pair.Key}: {pair.Value}");
            }
            b.AppendLine();
            b.AppendLine("Checks");
            b.AppendLine("------");
            var negative = 0;
            foreach (var sku in items.Keys)
            {
                if (Available(sku) < 0)
                {
                    negative++;
                    b.AppendLine($"  over-reserved {sku}");
                }
            }
            b.AppendLine($"over-reserved: {negative}");
            b.AppendLine();
            b.AppendLine("Summary");
            b.AppendLine("-------");
            b.AppendLine($"{items.Count} items, {total} units, {held} held");
            b.AppendLine("end of report");
            return b.ToString();
        }
    }

    public static class ConfigParser
    {
        /// <summary>Parse a tiny key = value configuration format.</summary>
        public static Dictionary<string, string> ParseConfig(string text)
        {
            var result = new Dictionary<string, string>();
            foreach (var raw in text.Split('\n'))
            {
                var line = raw.Trim();
                if (line.Length == 0 || line.StartsWith("#")) continue;
                var parts = line.Split('=', 2);
                result[parts[0].Trim()] = parts.Length > 1 ? parts[1].Trim() : "";
            }
            return result;
        }
    }
}
