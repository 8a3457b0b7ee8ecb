/* Inventory bookkeeping for a small warehouse. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define MAX_ITEMS 256
#define SKU_LEN 32

/* One line of stock. */
struct item {
    char sku[SKU_LEN];
    int quantity;
    int reserved;
};

typedef struct inventory {
    const char *location;
    struct item items[MAX_ITEMS];
    int count;
} inventory_t;

enum stock_level { STOCK_EMPTY, STOCK_LOW, STOCK_PLENTY };

/*
 * Upper-case a stock keeping unit and drop separators, in place.
 */
void normalize_sku(char *sku)
{
    char *out = sku;
    for (char *in = sku; *in; in++) {
        if (*in == '-' || *in == ' ')
            continue;
        *out++ = (char)toupper((unsigned char)*in);
    }
    *out = '\0';
}

/* Find the item for `sku`, or NULL. */
static struct item *find_item(inventory_t *inv, const char *sku)
{
    for (int i = 0; i < inv->count; i++) {
        if (strcmp(inv->items[i].sku, sku) == 0)
            return &inv->items[i];
    }
    return NULL;
}

/* Increase the stock of `sku`, creating the item if needed. */
int add_stock(inventory_t *inv, const char *sku, int quantity)
{
    struct item *item = find_item(inv, sku);
    if (item == NULL) {
        if (inv->count == MAX_ITEMS)
            return -1;
        item = &inv->items[inv->count++];
        strncpy(item->sku, sku, SKU_LEN - 1);
        item->quantity = 0;
        item->reserved = 0;
    }
    item->quantity += quantity;
    return item->quantity;
}

/* One line of text per report field. */
void render_report(const inventory_t *inv, FILE *out)
{
    int total = 0;
    int held = 0;
    int negative = 0;
    fprintf(out, "Inventory report\n");
    fprintf(out, "================\n");
    fprintf(out, "location: %s\n", inv->location);
    fprintf(out, "items: %d\n", inv->count);
    for (int i = 0; i < inv->count; i++) {
        fprintf(out, "  %s: %d\n", inv->items[i].sku, inv->items[i].quantity);
    }
    fprintf(out, "\n");
    fprintf(out, "Totals\n");
    fprintf(out, "------\n");
    for (int i = 0; i < inv->count; i++) {
        total += inv->items[i].quantity;
        held += inv->items[i].reserved;
    }
    fprintf(out, "units: %d\n", total);
    fprintf(out, "held: %d\n", held);
    fprintf(out, "free: %d\n", total - held);
    fprintf(out, "\n");
    fprintf(out, "Low stock\n");
    fprintf(out, "---------\n");
    for (int i = 0; i < inv->count; i++) {
        int free = inv->items[i].quantity - inv->items[i].reserved;
        if (free < 5) {
            fprintf(out, "  %s: %d left\n", inv->items[i].sku, free);
        }
    }
    fprintf(out, "\n");
    fprintf(out, "Empty items\n");
    fprintf(out, "-----------\n");
    for (int i = 0; i < inv->count; i++) {
        if (inv->items[i].quantity == 0) {
            fprintf(out, "  %s\n", inv->items[i].sku);
        }
    }
    fprintf(out, "\n");
    fprintf(out, "Checks\n");
    fprintf(out, "------\n");
    for (int i = 0; i < inv->count; i++) {
        if (inv->items[i].reserved > inv->items[i].quantity) {
            negative++;
            fprintf(out, "  over-reserved %s\n", inv->items[i].sku);
        }
    }
    fprintf(out, "over-reserved: %d\n", negative);
    fprintf(out, "\n");
    fprintf(out, "Reservations\n");
    fprintf(out, "------------\n");
    for (int i = 0; i < inv->count; i++) {
        if (inv->items[i].reserved > 0) {
            fprintf(out, "  %s: %d\n", inv->items[i].sku, inv->items[i].reserved);
        }
    }
    fprintf(out, "\n");
    fprintf(out, "Summary\n");
    fprintf(out, "-------\n");
    fprintf(out, "%d items, %d units, %d held\n", inv->count, total, held);
    fprintf(out, "end of report\n");
}

int main(void)
{
    static inventory_t inv = { .location = "main" };
    add_stock(&inv, "AB12", 3);
    render_report(&inv, stdout);
    return 0;
}
