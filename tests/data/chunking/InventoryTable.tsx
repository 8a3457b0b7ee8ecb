// A React table of inventory rows.
import React, { useMemo, useState } from "react";

export interface Row {
  sku: string;
  quantity: number;
  reserved: number;
}

/** Rows whose free stock is below `threshold`, lowest first. */
export function lowStockRows(rows: Row[], threshold: number): Row[] {
  return rows
    .filter((row) => row.quantity - row.reserved < threshold)
    .sort((a, b) => a.quantity - a.reserved - (b.quantity - b.reserved));
}

export const StockBadge = ({ free }: { free: number }) => {
  const tone = free <= 0 ? "danger" : free < 5 ? "warning" : "ok";
  return <span className={`badge badge-${tone}`}>{free}</span>;
};

/** A sortable table with one line per stock keeping unit. */
export class InventoryTable extends React.Component<{ rows: Row[] }, { sortBy: keyof Row }> {
  state = { sortBy: "sku" as keyof Row };
  static defaultProps = { rows: [] as Row[] };
  static displayName = "InventoryTable";

  sortedRows(): Row[] {
    const key = this.state.sortBy;
    return [...this.props.rows].sort((a, b) => (a[key] < b[key] ? -1 : 1));
  }

  handleSort(column: keyof Row): void {
    this.setState({ sortBy: column });
  }

  render() {
    return (
      <table>
        <tbody>
          {this.sortedRows().map((row) => (
            <tr key={row.sku} onClick={() => this.handleSort("quantity")}>
              <td>{row.sku}</td>
              <td>
                <StockBadge free={row.quantity - row.reserved} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  }
}

export function InventorySummary({ rows }: { rows: Row[] }) {
  const [expanded, setExpanded] = useState(false);
  const totals = useMemo(() => {
    let units = 0;
    let held = 0;
    for (const row of rows) {
      units += row.quantity;
      held += row.reserved;
    }
    return { units, held };
  }, [rows]);
  const low = lowStockRows(rows, 5);
  const empty = rows.filter((row) => row.quantity === 0);
  const over = rows.filter((row) => row.reserved > row.quantity);
  return (
    <section className="inventory-summary">
      <header>
        <h2>Inventory summary</h2>
        <button onClick={() => setExpanded(!expanded)}>
          {expanded ? "Hide details" : "Show details"}
        </button>
      </header>
      <dl>
        <dt>Items</dt>
        <dd>{rows.length}</dd>
        <dt>Units</dt>
        <dd>{totals.units}</dd>
        <dt>Held</dt>
        <dd>{totals.held}</dd>
        <dt>Free</dt>
        <dd>{totals.units - totals.held}</dd>
      </dl>
      {expanded && (
        <div className="details">
          <h3>Low stock</h3>
          <ul>
            {low.map((row) => (
              <li key={row.sku}>
                {row.sku}: <StockBadge free={row.quantity - row.reserved} />
              </li>
            ))}
          </ul>
          <h3>Empty items</h3>
          <ul>
            {empty.map((row) => (
              <li key={row.sku}>{row.sku}</li>
            ))}
          </ul>
          <h3>Over-reserved</h3>
          <ul>
            {over.map((row) => (
              <li key={row.sku}>
                {row.sku}: {row.reserved} held of {row.quantity}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
