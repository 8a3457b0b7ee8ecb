// Inventory bookkeeping for a small warehouse.
#include <algorithm>
#include <map>
#include <sstream>
#include <string>

namespace warehouse {

// Upper-case a stock keeping unit and drop separators.
std::string normalize_sku(const std::string& sku) {
    std::string out;
    for (char c : sku) {
        if (c != '-' && c != ' ') out.push_back(static_cast<char>(std::toupper(c)));
    }
    return out;
}

template <typename T>
T clamp_quantity(T value, T low, T high) {
    return std::max(low, std::min(value, high));
}

/// All the stock of one location, with reservations.
class Inventory {
public:
    static constexpr const char* kDefaultLocation = "main";
    explicit Inventory(std::string location) : location_(std::move(location)) {}

    /// Increase the stock of `sku`, creating the item if needed.
    int add_stock(const std::string& sku, int quantity) {
        auto key = normalize_sku(sku);
        items_[key] += quantity;
        return items_[key];
    }

    /// The stock of `sku` that is not reserved.
    int available(const std::string& sku) const {
        auto key = normalize_sku(sku);
        auto it = items_.find(key);
        int have = it == items_.end() ? 0 : it->second;
        auto held = reserved_.find(key);
        return have - (held == reserved_.end() ? 0 : held->second);
    }

    std::string render_report() const;

private:
    std::string location_;
    std::map<std::string, int> items_;
    std::map<std::string, int> reserved_;
};

struct Item {
    std::string sku;
    int quantity = 0;
};

}  // namespace warehouse

// One line of text per report field.
std::string warehouse::Inventory::render_report() const {
    std::ostringstream b;
    b << "Inventory report\n";
    b << "================\n";
    b << "location: " << location_ << "\n";
    b << "items: " << items_.size() << "\n";
    for (const auto& [sku, quantity] : items_) {
        b << "  " << sku << ": " << quantity << "\n";
    }
    b << "\n";
    b << "Totals\n";
    b << "------\n";
    int total = 0;
    for (const auto& [sku, quantity] : items_) {
        total += quantity;
    }
    b << "units: " << total << "\n";
    int held = 0;
    for (const auto& [sku, quantity] : reserved_) {
        held += quantity;
    }
    b << "held: " << held << "\n";
    b << "free: " << total - held << "\n";
    b << "\n";
    b << "Low stock\n";
    b << "---------\n";
    for (const auto& [sku, quantity] : items_) {
        int free = available(sku);
        if (free < 5) {
            b << "  " << sku << ": " << free << " left\n";
        }
    }
    b << "\n";
    b << "Empty items\n";
    b << "-----------\n";
    for (const auto& [sku, quantity] : items_) {
        if (quantity == 0) {
            b << "  " << sku << "\n";
        }
    }
    b << "\n";
    b << "Reservations\n";
    b << "------------\n";
    for (const auto& [sku, quantity] : reserved_) {
        b << "  " << sku << ": " << quantity << "\n";
    }
    b << "\n";
    b << "Checks\n";
    b << "------\n";
    int negative = 0;
    for (const auto& [sku, quantity] : items_) {
        if (available(sku) < 0) {
            negative++;
            b << "  over-reserved " << sku << "\n";
        }
    }
    b << "over-reserved: " << negative << "\n";
    b << "\n";
    b << "Summary\n";
    b << "-------\n";
    b << items_.size() << " items, " << total << " units, " << held << " held\n";
    b << "end of report\n";
    return b.str();
}
