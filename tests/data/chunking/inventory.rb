# Inventory bookkeeping for a small warehouse.
require "set"

DEFAULT_LOCATION = "main"

# Parse a tiny key = value configuration format.
# Blank lines and comments are skipped.
def parse_config(text)
  text.each_line.with_object({}) do |raw, out|
    line = raw.strip
    next if line.empty? || line.start_with?("#")
    key, value = line.split("=", 2)
    out[key.strip] = value.to_s.strip
  end
end

module Warehouse
  # Upper-case a stock keeping unit and drop separators.
  def self.normalize_sku(sku)
    sku.delete("- ").upcase
  end

  # All the stock of one location, with reservations.
  class Inventory
    attr_reader :location, :items, :reserved
    include Enumerable

    def initialize(location = DEFAULT_LOCATION)
      @location = location
      @items = Hash.new(0)
      @reserved = Hash.new(0)
    end

    # Increase the stock of `sku`, creating the item if needed.
    def add_stock(sku, quantity)
      key = Warehouse.normalize_sku(sku)
      @items[key] += quantity
    end

    # The stock of `sku` that is not reserved.
    def available(sku)
      key = Warehouse.normalize_sku(sku)
      @items[key] - @reserved[key]
    end

    def each(&block)
      @items.each(&block)
    end

    # One line of text per report field.
    def render_report
      lines = []
      lines << "Inventory report"
      lines << "================"
      lines << "location: #{location}"
      lines << "items: #{items.size}"
      items.keys.sort.each do |sku|
        lines << "  #{sku}: #{items[sku]}"
      end
      lines << ""
      lines << "Totals"
      lines << "------"
      total = items.values.sum
      held = reserved.values.sum
      lines << "units: #{total}"
      lines << "held: #{held}"
      lines << "free: #{total - held}"
      lines << ""
      lines << "Low stock"
      lines << "---------"
      items.keys.sort.each do |sku|
        free = available(sku)
        if free < 5
          lines << "  #{sku}: #{free} left"
        end
      end
      lines << ""
      lines << "Empty items"
      lines << "-----------"
      items.each do |sku, quantity|
        if quantity.zero?
          lines << "  #{sku}"
        end
      end
      lines << ""
      lines << "Reservations"
      lines << "------------"
      reserved.keys.sort.each do |sku|
        lines << "  #{sku}: #{reserved[sku]}"
      end
      lines << ""
      lines << "Checks"
      lines << "------"
      negative = items.keys.select { |sku| available(sku) < 0 }
      lines << "over-reserved: #{negative.size}"
      negative.each do |sku|
        lines << "  over-reserved #{sku}"
      end
      lines << ""
      lines << "Largest items"
      lines << "-------------"
      items.sort_by { |_, quantity| -quantity }.first(10).each do |sku, quantity|
        lines << "  #{sku}: #{quantity}"
      end
      lines << ""
      lines << "Summary"
      lines << "-------"
      lines << "#{items.size} items, #{total} units, #{held} held"
      lines << "end of report"
      lines.join("\n")
    end
  end
end
