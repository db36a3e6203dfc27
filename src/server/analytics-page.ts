/**
 * The analytics page: server-rendered HTML with inline SVG charts, from `readDashboard`. No
 * script and no external resource, so it works behind any firewall and the content security
 * policy can forbid scripts entirely. Numbers carry `data-*` attributes so tests can read them.
 */
import type { DashboardData } from '../reporting/dashboard-data.ts';
import { CLASSES, SENIORITY_CLASSES, TASKS } from '../domain/labels.ts';
import { barChart, histogram, lineChart } from './charts.ts';
import { formatCount, formatDecimal, formatPercent } from './format.ts';
import { type SafeHtml, html, trusted } from './html.ts';

const STYLE = trusted(`
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #111; background: #f7f7f8; }
header { background: #1f2937; color: #fff; padding: 12px 24px; display: flex; gap: 24px; align-items: baseline; }
header a { color: #cbd5e1; }
main { padding: 16px 24px; display: grid; grid-template-columns: repeat(auto-fill, minmax(640px, 1fr)); gap: 16px; }
section { background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: 12px 16px; }
h1 { font-size: 18px; margin: 0; } h2 { font-size: 15px; margin: 0 0 8px; } table + h2 { margin-top: 16px; }
table { border-collapse: collapse; } td, th { padding: 2px 8px; text-align: right; border-bottom: 1px solid #f0f0f0; }
td:first-child, th:first-child, .text { text-align: left; }
section.wide { grid-column: 1 / -1; }
.flag { color: #b91c1c; font-weight: 600; } .ok { color: #047857; }
.chart text { font-size: 12px; fill: #111; } .chart .tick { fill: #555; font-size: 11px; }
.muted { color: #6b7280; }
`);

export function renderAnalyticsPage(data: DashboardData): string {
  const s = data.stats;
  const body = s === null ? noData(data) : html`${overview(data)}${distributions(data)}${drift(data)}${fallback(data)}${confidence(data)}${organizations(data)}${careers(data)}${unsure(data)}${backfills(data)}`;
  return `<!doctype html>\n${html`<html lang="en"><head><meta charset="utf-8"><title>cv-pipeline analytics</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body><header><h1>cv-pipeline analytics</h1>
<span>model <strong id="model-version">${s?.modelVersion ?? 'none'}</strong></span>
${versionLinks(data)}
<a href="/workbench">workbench</a><a href="/admin/queues">queues</a><a href="/metrics">metrics</a></header>
<main>${body}</main></body></html>`.text}`;
}

function versionLinks(data: DashboardData): SafeHtml {
  if (data.versions.length < 2) return html``;
  return html`<span>other versions: ${data.versions
    .filter((v) => v.modelVersion !== data.stats?.modelVersion)
    .map((v) => html`<a href="/analytics?model=${encodeURIComponent(v.modelVersion)}">${v.modelVersion}</a> `)}</span>`;
}

function noData(data: DashboardData): SafeHtml {
  return html`<section><h2>No statistics yet</h2><p>Nothing has been scored${data.versions.length > 0 ? ' by this model version' : ''}.
Run <code>cv-pipeline run --input FILE</code> (or stream profiles through Kafka) and reload.</p></section>${backfills(data)}`;
}

function overview(data: DashboardData): SafeHtml {
  const s = data.stats!;
  return html`<section id="overview"><h2>Overview</h2><table>
<tr><td>profiles</td><td data-stat="profiles">${formatCount(s.profiles)}</td></tr>
<tr><td>positions</td><td data-stat="positions">${formatCount(s.positions)}</td></tr>
<tr><td>seniority fallback rate</td><td data-stat="seniority-fallback-rate">${formatPercent(s.seniorityFallbackRate)}</td></tr>
<tr><td>department fallback rate</td><td data-stat="department-fallback-rate">${formatPercent(s.departmentFallbackRate)}</td></tr>
<tr><td>seniority mean confidence</td><td>${formatDecimal(s.seniorityMeanConfidence, 2)}</td></tr>
<tr><td>department mean confidence</td><td>${formatDecimal(s.departmentMeanConfidence, 2)}</td></tr>
${data.driftOverall.map(
  (d) => html`<tr><td>${d.task} drift (PSI / JS)</td><td data-stat="${d.task}-psi">${formatDecimal(d.psi)} / ${formatDecimal(d.js)}
<span class="${d.flagged ? 'flag' : 'ok'}" data-stat="${d.task}-drift-flag">${d.flagged ? `drifted (> ${d.threshold})` : 'ok'}</span></td></tr>`,
)}
</table>${data.driftOverall.length === 0 ? html`<p class="muted" id="no-reference">No reference (training) distribution stored for this model: drift is not measured. <code>cv-pipeline reference --cvs FILE</code> stores one.</p>` : ''}</section>`;
}

function distributions(data: DashboardData): SafeHtml {
  const s = data.stats!;
  return html`${TASKS.map((task) => {
    const byLabel = new Map(s.shares[task].map((c) => [c.label, c]));
    const reference = data.reference[task];
    return html`<section id="shares-${task}"><h2>${task} classes</h2>${barChart({
      id: `chart-shares-${task}`,
      bars: (CLASSES[task] as readonly string[]).map((label) => ({ label, value: byLabel.get(label)?.share ?? 0, reference: reference?.[label] ?? null })),
      format: formatPercent,
    })}${reference ? html`<p class="muted">bars: share of scored positions; black tick: training share</p>` : ''}</section>`;
  })}`;
}

function drift(data: DashboardData): SafeHtml {
  if (data.driftDaily.length === 0) return html``;
  const threshold = data.driftOverall[0]?.threshold ?? null;
  const series = TASKS.map((task) => ({
    name: `${task} PSI`,
    points: data.driftDaily.filter((d) => d.task === task).map((d) => ({ x: d.day, y: d.psi })),
  }));
  const flagged = data.driftDaily.filter((d) => d.flagged);
  return html`<section id="drift"><h2>Drift over time (PSI per ingestion day, dashed: threshold)</h2>
${lineChart({ id: 'chart-drift', series, threshold, format: (v) => formatDecimal(v, 2) })}
<p>${flagged.length === 0 ? html`<span class="ok">no day flagged (a day needs DRIFT_MIN_POSITIONS positions, default 100, before it can be)</span>` : html`<span class="flag">flagged days: ${flagged.map((d) => `${d.day} (${d.task})`).join(', ')}</span>`}</p></section>`;
}

function fallback(data: DashboardData): SafeHtml {
  if (data.fallbackDaily.length === 0) return html``;
  const series = TASKS.map((task) => ({
    name: `${task}`,
    points: data.fallbackDaily.filter((d) => d.task === task).map((d) => ({ x: d.day, y: d.rate })),
  }));
  return html`<section id="fallback"><h2>Fallback rate per ingestion day (keyword rules decided)</h2>
${lineChart({ id: 'chart-fallback', series, format: formatPercent })}</section>`;
}

function confidence(data: DashboardData): SafeHtml {
  const s = data.stats!;
  return html`<section id="confidence"><h2>Confidence histograms</h2>${TASKS.map(
    (task) => html`<div><strong>${task}</strong><br>${histogram({ id: `chart-confidence-${task}`, counts: s.histograms[task] })}</div>`,
  )}</section>`;
}

function organizations(data: DashboardData): SafeHtml {
  if (data.organizations.length === 0) return html``;
  return html`<section id="organizations" class="wide"><h2>Seniority mix of the largest organizations</h2><table>
<tr><th>organization</th><th>positions</th>${SENIORITY_CLASSES.map((l) => html`<th>${l}</th>`)}</tr>
${data.organizations.map(
  (o) => html`<tr class="organization"><td class="organization-name">${o.organization}</td><td>${formatCount(o.positions)}</td>${SENIORITY_CLASSES.map(
    (l) => html`<td>${formatPercent(o.shares[l] ?? 0)}</td>`,
  )}</tr>`,
)}</table></section>`;
}

function careers(data: DashboardData): SafeHtml {
  const p = data.promotion;
  return html`<section id="careers"><h2>Careers</h2>
${p ? html`<p>promotion rate <strong data-stat="promotion-rate">${formatPercent(p.promotionRate)}</strong> of ${formatCount(p.transitions)} moves;
${formatPercent(p.promotedProfileShare)} of ${formatCount(p.profiles)} profiles promoted at least once</p>` : ''}
${data.tenure.length > 0 ? html`<table><tr><th>seniority</th><th>completed positions</th><th>median tenure (months)</th></tr>
${data.tenure.map((t) => html`<tr><td>${t.seniority}</td><td>${formatCount(t.n)}</td><td data-tenure="${t.seniority}">${formatDecimal(t.medianMonths, 1)}</td></tr>`)}</table>` : ''}
${data.transitions.length > 0 ? html`<h2>Most frequent department moves</h2><table><tr><th>from</th><th class="text">to</th><th>moves</th><th>share of moves out</th></tr>
${data.transitions.map((t) => html`<tr><td>${t.from}</td><td class="text">${t.to}</td><td>${formatCount(t.moves)}</td><td>${formatPercent(t.share)}</td></tr>`)}</table>` : ''}
</section>`;
}

function unsure(data: DashboardData): SafeHtml {
  if (data.unsure.length === 0) return html``;
  return html`<section id="unsure" class="wide"><h2>Least confident positions (the keyword fallback decided)</h2><table>
<tr><th>title</th><th class="text">organization</th><th class="text">seniority</th><th>confidence</th><th class="text">department</th><th>confidence</th></tr>
${data.unsure.map(
  (u) => html`<tr class="unsure"><td class="title">${u.title}</td><td class="text organization-name">${u.organization ?? ''}</td>
<td class="text">${u.seniority}</td><td>${formatDecimal(u.seniorityConfidence, 2)}</td><td class="text">${u.department}</td><td>${formatDecimal(u.departmentConfidence, 2)}</td></tr>`,
)}</table></section>`;
}

function backfills(data: DashboardData): SafeHtml {
  if (data.backfillRuns.length === 0) return html``;
  return html`<section id="backfills" class="wide"><h2>Backfill runs</h2><table>
<tr><th>run</th><th class="text">target model</th><th class="text">status</th><th>progress</th><th>started (UTC)</th><th class="text">trigger</th></tr>
${data.backfillRuns.map(
  (r) => html`<tr class="backfill-run" data-run="${r.id}"><td>${r.id}</td><td class="text">${r.filter.targetModelVersion}</td><td class="text ${r.status === 'failed' ? 'flag' : ''}">${r.status}</td>
<td>${formatCount(r.rowsScored)} / ${formatCount(r.rowsTotal)} (${formatPercent(r.rowsTotal === 0 ? 1 : r.rowsScored / r.rowsTotal)})</td>
<td>${r.startedAt.toISOString().slice(0, 16).replace('T', ' ')}</td><td class="text">${r.trigger}</td></tr>`,
)}</table></section>`;
}
