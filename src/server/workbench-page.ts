/**
 * The workbench page: the classify box (a title, optionally its organization → both predictions,
 * the deciding source, each member's top classes, the nearest labeled titles; the answer of
 * `classify` and POST /classify) and the position explorer (the filters of GET /api/positions, one
 * keyset page, a link to the next and to the CSV export). Plain GET forms, server-rendered: no
 * script, and the content security policy allows forms to this origin only. Every value escaped.
 */
import { CLASSES, DEPARTMENT_CLASSES, SENIORITY_CLASSES, TASKS } from '../domain/labels.ts';
import type { TitleAnswer } from '../pipeline/answer.ts';
import { ranked } from '../pipeline/answer.ts';
import type { ReviewItem } from '../store/review-queue.ts';
import { formatDecimal } from './format.ts';
import { type SafeHtml, html, trusted } from './html.ts';

export const WORKBENCH_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const STYLE = trusted(`
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #111; background: #f7f7f8; }
header { background: #1f2937; color: #fff; padding: 12px 24px; display: flex; gap: 24px; align-items: baseline; }
header a { color: #cbd5e1; }
main { padding: 16px 24px; display: grid; gap: 16px; }
section { background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: 12px 16px; }
h1 { font-size: 18px; margin: 0; } h2 { font-size: 15px; margin: 0 0 8px; }
form { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin-bottom: 8px; }
label { display: flex; flex-direction: column; font-size: 12px; color: #374151; }
table { border-collapse: collapse; } td, th { padding: 2px 8px; text-align: left; border-bottom: 1px solid #f0f0f0; vertical-align: top; }
.num { text-align: right; } .muted { color: #6b7280; } .note { color: #92400e; }
`);

export interface PositionItem {
  positionId: string;
  title: string;
  organization: string | null;
  seniority: string;
  seniorityConfidence: number;
  senioritySource: string;
  department: string;
  departmentConfidence: number;
  departmentSource: string;
  startDate: string | null;
  status: string | null;
}

export interface WorkbenchView {
  user: { name: string; role: string };
  modelVersion: string;
  /** What limits the page, said plainly (the encoder absent, Redis not configured). */
  notes: string[];
  classify: { title: string; org: string; answer: TitleAnswer | null };
  filters: Record<string, string>;
  positions: { items: PositionItem[]; nextHref: string | null; exportHref: string } | null;
  error: string | null;
  /** The review queue, where asked for (`review=1`). */
  review: ReviewItem[] | null;
  /** The CSRF token of the review forms; null: the user may not write (a viewer), so no forms. */
  csrf: string | null;
  /** The correction the last review form stored, and the positions it covered. */
  saved: { id: number; positions: number } | null;
}

export function renderWorkbenchPage(view: WorkbenchView): string {
  return `<!doctype html>\n${html`<html lang="en"><head><meta charset="utf-8"><title>cv-pipeline workbench</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body><header><h1>cv-pipeline workbench</h1><span>model <strong id="model-version">${view.modelVersion}</strong></span>
<span>signed in as <strong id="user">${view.user.name}</strong> (${view.user.role})</span>
<a href="/analytics">analytics</a><a href="/admin/queues">queues</a></header>
<main>${view.notes.map((n) => html`<p class="note">${n}</p>`)}
${view.error ? html`<p class="note" id="error">${view.error}</p>` : ''}
${classifyBox(view)}${explorer(view)}${review(view)}</main></body></html>`.text}`;
}

function classifyBox(view: WorkbenchView): SafeHtml {
  const { title, org, answer } = view.classify;
  return html`<section id="classify"><h2>Classify a title</h2>
<form method="get" action="/workbench">
<label>title<input name="title" value="${title}" maxlength="300" size="40" required></label>
<label>organization<input name="organization" value="${org}" maxlength="300" size="24"></label>
<button type="submit">classify</button></form>
${answer ? answerTable(answer) : html`<p class="muted">EN, DE, FR and more: the answer of <code>cv-pipeline classify</code>.</p>`}</section>`;
}

function answerTable(a: TitleAnswer): SafeHtml {
  return html`<p>standardized <strong>${a.standardizedTitle}</strong> (${a.language})</p>
<table><tr><th>task</th><th>label</th><th class="num">confidence</th><th>source</th><th>members (top class)</th><th>why</th></tr>
${TASKS.map((task) => {
    const t = a[task];
    const members = Object.entries(t.members).map(([name, probs]) => {
      const best = ranked(CLASSES[task], CLASSES[task].map((c) => probs[c] ?? 0))[0]!;
      return html`${name} ${best.label} ${formatDecimal(best.probability, 2)}<br>`;
    });
    return html`<tr class="answer" data-task="${task}"><td>${task}</td><td class="label">${t.label}</td><td class="num">${formatDecimal(t.confidence, 2)}</td>
<td class="source">${t.source}</td><td>${members}</td><td class="why">${t.why}</td></tr>`;
  })}</table>
${TASKS.some((task) => a[task].neighbours?.length)
    ? html`<h2>Nearest labeled titles</h2><table>${TASKS.flatMap((task) =>
        (a[task].neighbours ?? []).slice(0, 3).map((n) => html`<tr><td>${task}</td><td>${n.title}</td><td>${n.label}</td><td class="num">${formatDecimal(n.similarity, 2)}</td></tr>`),
      )}</table>`
    : ''}`;
}

function review(view: WorkbenchView): SafeHtml {
  if (!view.review) {
    return html`<section id="review"><h2>Review queue</h2><p><a id="show-review" href="/workbench?review=1">show the titles most worth labeling</a>
(most uncertain first by least confidence, margin and entropy, weighted by how many positions each title covers; similar titles grouped)</p></section>`;
  }
  return html`<section id="review"><h2>Review queue</h2>
${view.saved ? html`<p class="note" id="saved">Saved correction ${view.saved.id}: ${view.saved.positions} stored positions relabeled.</p>` : ''}
<p class="muted">${view.csrf
    ? 'Keyboard: Tab to a row\'s classes, arrow keys to pick, Enter to save (the classes as shown accept the model\'s answer); a row left alone is skipped. A saved title applies to every position listed.'
    : 'Viewers read the queue; an editor labels it (or POST /api/corrections).'}</p>
<table><tr><th>title</th><th class="num">positions</th><th class="num">uncertainty</th><th>seniority</th><th>department</th><th></th></tr>
${view.review.map((r, i) => reviewRow(r, i, view.csrf))}</table></section>`;
}

function reviewRow(r: ReviewItem, i: number, csrf: string | null): SafeHtml {
  // Similar titles the same cluster holds (store/review-queue.ts): each needs its own review.
  const similar = r.similar.length > 0
    ? html`<div class="muted similar">similar titles (positions): ${r.similar.map((m) => `${m.title} (${m.positions})`).join(', ')}</div>`
    : '';
  const cells = html`<td class="title"><span class="example">${r.example}</span>${similar}</td><td class="num">${r.positions}</td><td class="num">${formatDecimal(r.uncertainty, 2)}</td>`;
  if (!csrf) return html`<tr class="review">${cells}<td>${r.seniority}</td><td>${r.department}</td><td><a href="/workbench?title=${encodeURIComponent(r.example)}">classify</a></td></tr>`;
  const form = `review-${i}`;
  const choose = (name: string, options: readonly string[], current: string) =>
    html`<select name="${name}" form="${form}"${i === 0 && name === 'seniority' ? trusted(' autofocus') : ''}>${options.map(
      (o) => html`<option${o === current ? trusted(' selected') : ''}>${o}</option>`,
    )}</select>`;
  return html`<tr class="review">${cells}<td>${choose('seniority', SENIORITY_CLASSES, r.seniority)}</td><td>${choose('department', DEPARTMENT_CLASSES, r.department)}</td>
<td><form id="${form}" method="post" action="/workbench/corrections"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="title" value="${r.example}"><button type="submit">save</button></form></td></tr>`;
}

function select(name: string, options: readonly string[], value: string | undefined): SafeHtml {
  return html`<label>${name}<select name="${name}"><option value="">any</option>${options.map(
    (o) => html`<option value="${o}"${o === value ? trusted(' selected') : ''}>${o}</option>`,
  )}</select></label>`;
}

function explorer(view: WorkbenchView): SafeHtml {
  const f = view.filters;
  const p = view.positions;
  return html`<section id="explorer"><h2>Stored positions</h2>
<form method="get" action="/workbench">
<label>title contains<input name="q" value="${f.q ?? ''}" maxlength="200"></label>
<label>organization<input name="org" value="${f.org ?? ''}" maxlength="300"></label>
${select('seniority', SENIORITY_CLASSES, f.seniority)}${select('department', DEPARTMENT_CLASSES, f.department)}
${select('source', ['ensemble', 'fallback', 'override', 'keywords'], f.source)}
<label>min confidence<input name="minConfidence" value="${f.minConfidence ?? ''}" size="4"></label>
<label>max confidence<input name="maxConfidence" value="${f.maxConfidence ?? ''}" size="4"></label>
<input type="hidden" name="explore" value="1"><button type="submit">filter</button></form>
${p
    ? html`<p><a id="export" href="${p.exportHref}">export CSV</a> ${p.nextHref ? html`· <a id="next" href="${p.nextHref}">next page</a>` : ''}</p>
<table><tr><th>title</th><th>organization</th><th>start</th><th>status</th><th>seniority</th><th class="num">conf.</th><th>source</th><th>department</th><th class="num">conf.</th><th>source</th><th>id</th></tr>
${p.items.map((i) => html`<tr class="position"><td class="title">${i.title}</td><td>${i.organization ?? ''}</td><td>${i.startDate ?? ''}</td><td>${i.status ?? ''}</td>
<td>${i.seniority}</td><td class="num">${formatDecimal(i.seniorityConfidence, 2)}</td><td>${i.senioritySource}</td>
<td>${i.department}</td><td class="num">${formatDecimal(i.departmentConfidence, 2)}</td><td>${i.departmentSource}</td><td class="muted">${i.positionId}</td></tr>`)}</table>
${p.items.length === 0 ? html`<p class="muted">No stored position matches.</p>` : ''}`
    : html`<p class="muted">Filter to list positions (keyset pages of 50; the export has every match).</p>`}</section>`;
}
