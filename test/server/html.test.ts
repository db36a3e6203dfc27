import { describe, expect, it } from 'vitest';
import { barChart, lineChart } from '../../src/server/charts.ts';
import { escapeHtml, html, trusted } from '../../src/server/html.ts';

const EVIL = `<img src=x onerror="alert('x')">&amp;\``;

describe('HTML escaping', () => {
  it('escapes every interpolated string, in text and in attributes', () => {
    expect(escapeHtml(EVIL)).toBe('&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;amp;&#96;');
    expect(html`<td title="${EVIL}">${EVIL}</td>`.text).toBe(`<td title="${escapeHtml(EVIL)}">${escapeHtml(EVIL)}</td>`);
  });

  it('passes fragments built by html (and trusted constants) through once, never double-escaped', () => {
    const inner = html`<b>${'a<b'}</b>`;
    expect(html`<p>${inner}${[inner, 'c&d']}${null}${undefined}${false}${trusted('<hr>')}</p>`.text).toBe('<p><b>a&lt;b</b><b>a&lt;b</b>c&amp;d<hr></p>');
  });

  it('escapes chart labels and series names', () => {
    const bars = barChart({ id: 'x', bars: [{ label: EVIL, value: 0.5, reference: 0.25 }], format: String }).text;
    const lines = lineChart({ id: 'y', series: [{ name: EVIL, points: [{ x: EVIL, y: 1 }] }], threshold: 0.2, format: String }).text;
    for (const svg of [bars, lines]) {
      expect(svg).not.toContain('<img');
      expect(svg).toContain(escapeHtml(EVIL));
    }
  });
});
