/**
 * Inline SVG charts, drawn on the server: no chart library, no script, nothing fetched by the
 * browser. Every label goes through `html`, so it is escaped like any other text on the page.
 */
import { type SafeHtml, html } from './html.ts';

const COLORS = ['#2563eb', '#d97706', '#059669', '#dc2626', '#7c3aed', '#0891b2'];

export interface Bar {
  label: string;
  value: number;
  /** Drawn as a tick over the bar (e.g. the training share of the class). */
  reference?: number | null;
}

/** Horizontal bars, one per label, values in 0..max; the formatted value is printed beside each bar. */
export function barChart(options: { id: string; bars: readonly Bar[]; max?: number; format: (v: number) => string }): SafeHtml {
  const { bars, format } = options;
  const labelWidth = 190;
  const barWidth = 330;
  const row = 22;
  const max = options.max ?? Math.max(1e-9, ...bars.map((b) => Math.max(b.value, b.reference ?? 0)));
  const height = bars.length * row + 6;
  const x = (v: number) => labelWidth + (barWidth * v) / max;
  return html`<svg class="chart" id="${options.id}" role="img" width="${labelWidth + barWidth + 70}" height="${height}" viewBox="0 0 ${labelWidth + barWidth + 70} ${height}">
${bars.map((b, i) => {
  const y = i * row + 3;
  return html`<g class="bar" data-label="${b.label}" data-value="${b.value}">
<text x="${labelWidth - 6}" y="${y + 14}" text-anchor="end">${b.label}</text>
<rect x="${labelWidth}" y="${y + 2}" width="${Math.max(0, x(b.value) - labelWidth).toFixed(1)}" height="${row - 6}" fill="${COLORS[0]}"><title>${b.label}: ${format(b.value)}</title></rect>
${b.reference == null ? '' : html`<line class="reference" x1="${x(b.reference).toFixed(1)}" x2="${x(b.reference).toFixed(1)}" y1="${y}" y2="${y + row - 2}" stroke="#111" stroke-width="2"><title>training: ${format(b.reference)}</title></line>`}
<text class="value" x="${(x(b.value) + 4).toFixed(1)}" y="${y + 14}">${format(b.value)}</text>
</g>`;
})}
</svg>`;
}

export interface Series {
  name: string;
  points: readonly { x: string; y: number }[];
}

/**
 * Lines over a shared, ordered set of x labels (days). A dashed horizontal line marks the
 * threshold when one is given. A single point still shows, as a dot.
 */
export function lineChart(options: { id: string; series: readonly Series[]; threshold?: number | null; format: (v: number) => string }): SafeHtml {
  const { series, format } = options;
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort();
  const width = 600;
  const height = 220;
  const left = 56;
  const right = 40;
  const top = 12;
  const bottom = 36;
  const maxY = Math.max(1e-9, options.threshold ?? 0, ...series.flatMap((s) => s.points.map((p) => p.y))) * 1.1;
  const px = (x: string) => left + (xs.length <= 1 ? (width - left - right) / 2 : ((width - left - right) * xs.indexOf(x)) / (xs.length - 1));
  const py = (y: number) => top + (height - top - bottom) * (1 - y / maxY);
  const ticks = [0, maxY / 2, maxY];
  const xLabels = xs.length <= 6 ? xs : xs.filter((_, i) => i % Math.ceil(xs.length / 6) === 0);
  return html`<svg class="chart" id="${options.id}" role="img" width="${width}" height="${height + 22}" viewBox="0 0 ${width} ${height + 22}">
<line x1="${left}" x2="${left}" y1="${top}" y2="${height - bottom}" stroke="#999"/>
<line x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}" stroke="#999"/>
${ticks.map((t) => html`<text x="${left - 4}" y="${py(t).toFixed(1)}" text-anchor="end" dominant-baseline="middle" class="tick">${format(t)}</text>`)}
${xLabels.map((x) => html`<text x="${px(x).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle" class="tick">${x}</text>`)}
${options.threshold == null ? '' : html`<line class="threshold" x1="${left}" x2="${width - right}" y1="${py(options.threshold).toFixed(1)}" y2="${py(options.threshold).toFixed(1)}" stroke="#dc2626" stroke-dasharray="6 4"><title>threshold ${format(options.threshold)}</title></line>`}
${series.map((s, i) => {
  const color = COLORS[i % COLORS.length]!;
  const pts = s.points.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
  return html`<g class="series" data-name="${s.name}">
<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts}"/>
${s.points.map((p) => html`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3" fill="${color}" data-x="${p.x}" data-y="${p.y}"><title>${s.name} ${p.x}: ${format(p.y)}</title></circle>`)}
</g>`;
})}
${series.map((s, i) => html`<g class="legend"><rect x="${left + i * 150}" y="${height + 6}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${left + i * 150 + 16}" y="${height + 16}">${s.name}</text></g>`)}
</svg>`;
}

/** Ten confidence buckets (0.0-0.1 … 0.9-1.0) as vertical bars. */
export function histogram(options: { id: string; counts: readonly number[] }): SafeHtml {
  const width = 300;
  const height = 120;
  const max = Math.max(1, ...options.counts);
  const w = width / options.counts.length;
  return html`<svg class="chart" id="${options.id}" role="img" width="${width}" height="${height + 18}" viewBox="0 0 ${width} ${height + 18}">
${options.counts.map((n, i) => {
  const h = ((height - 4) * n) / max;
  return html`<rect x="${(i * w + 1).toFixed(1)}" y="${(height - h).toFixed(1)}" width="${(w - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[1]}" data-bucket="${i}" data-n="${n}"><title>${(i / 10).toFixed(1)}-${((i + 1) / 10).toFixed(1)}: ${n}</title></rect>`;
})}
<text x="0" y="${height + 14}" class="tick">0.0</text><text x="${width}" y="${height + 14}" text-anchor="end" class="tick">1.0</text>
</svg>`;
}
