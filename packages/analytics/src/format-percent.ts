/**
 * A ratio as a percentage with one decimal (`0.1234` → `"12.3%"`), the one way reports, insights,
 * comparisons and the CLI print shares and rates.
 */
export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}
