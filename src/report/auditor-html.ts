import type { AuditEntry } from '../audit/entry.js';
import { type ApplicabilityRow, applicabilitySummary } from './applicability.js';
import type { AuditorReport } from './auditor.js';
import {
  APPLICABILITY_STATUS,
  applicabilitySentence,
  eventDetails,
  eventLabel,
  evidenceEntryWords,
  evidenceItems,
  UNPROVEN_MARK,
  unprovenFrom,
  verificationSentence,
} from './auditor-words.js';
import { escapeHtml as esc } from './escape.js';
import { location, openFindings, SEVERITY_WORDS } from './words.js';

/**
 * The auditor's report as one self-contained HTML file: inline style and script, a Content-Security-Policy
 * that forbids any network request, filters by system and event type, and a print layout.
 */
export function renderAuditorHtml(report: AuditorReport): string {
  const { evaluation } = report;
  const verification = verificationSentence(report);
  const open = openFindings(evaluation);
  const count = (s: string) => open.filter((f) => f.severity === s).length;
  const soaCount = (status: string) => report.applicability.filter((r) => r.applicable === status).length;
  const soa = applicabilitySummary(report.applicability);
  const systemIds = report.systems.map((s) => s.id);

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AI management system audit report</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>AI management system audit report</h1>
<p class="meta">Generated ${esc(report.generated)} · documents evaluated as of ${esc(report.today)} · policy ${esc(evaluation.policy.id)}</p>
</header>

<section id="verification" class="banner ${verification.ok ? 'ok' : 'failed'}" data-verified="${verification.ok}">
<strong>${verification.ok ? '✔ Audit log intact' : '✖ Audit log verification failed'}</strong>
<p>${esc(verification.text)}</p>
</section>

<section id="summary" class="cards">
${card('systems', evaluation.systems.length, 'AI systems')}
${card('events', report.totalEvents, 'lifecycle events')}
${card('major', count('major'), 'major nonconformities')}
${card('minor', count('minor'), 'minor nonconformities')}
${card('observations', count('observation'), 'observations')}
${card('applicable', soaCount('yes'), 'controls applicable')}
${card('evidenced', soa.automatic, 'controls evidenced automatically')}
${card('flagged', soa.flagged, 'controls flagged')}
${card('not-addressed', soaCount('not addressed'), 'controls not addressed')}
</section>

<nav class="filters">
<label>System <select id="filter-system"><option value="">All systems</option>${systemIds.map((id) => `<option value="${esc(id)}">${esc(id)}</option>`).join('')}</select></label>
<label>Event type <select id="filter-type"><option value="">All types</option>${report.eventTypes.map((t) => `<option value="${esc(t)}">${esc(eventLabel(t))}</option>`).join('')}</select></label>
<span id="event-count" aria-live="polite">${report.totalEvents} of ${report.totalEvents} events</span>
</nav>

<section id="inventory">
<h2>AI system inventory</h2>
<table>
<thead><tr><th>AI system</th><th>Folder</th><th>Owner</th><th>Tier</th><th>Lifecycle</th><th>Version</th><th>Documents (SHA-256)</th></tr></thead>
<tbody>
${evaluation.systems
  .map(
    (s) =>
      `<tr data-system="${esc(s.id)}"><td>${esc(s.id)}</td><td><code>${esc(s.path)}</code></td><td>${esc(s.owner ?? '—')}</td><td>${tier(s.tier)}</td><td>${esc(s.status ?? '—')}</td><td>${esc(s.version ?? '—')}</td><td>${
        s.evidence
          .map(
            (e) =>
              `<code>${esc(e.path)}</code> <span class="digest" title="${e.sha256}">${e.sha256.slice(0, 16)}…</span>`,
          )
          .join('<br>') || '—'
      }</td></tr>`,
  )
  .join('\n')}
</tbody>
</table>
</section>

<section id="timeline">
<h2>Timeline per system</h2>
${report.systems
  .map(
    (s) => `<section class="system-timeline" data-system="${esc(s.id)}">
<h3>${esc(s.id)}${s.summary ? '' : ' <small>(no longer in the repository)</small>'}</h3>
${s.events.length ? eventTable(s.events, unprovenFrom(report)) : '<p class="empty">No recorded events.</p>'}
</section>`,
  )
  .join('\n')}
</section>

<section id="gates">
<h2>Approvals and deployments</h2>
${
  report.approvals.length + report.deployments.length
    ? eventTable(
        [...report.approvals, ...report.deployments].sort((a, b) => a.seq - b.seq),
        unprovenFrom(report),
      )
    : '<p class="empty">No approvals or deployment decisions recorded.</p>'
}
</section>

<section id="findings">
<h2>Open findings by control</h2>
${
  report.findingsByControl.length === 0
    ? '<p class="empty">No open findings.</p>'
    : report.findingsByControl
        .map(
          (c) =>
            `<h3>${esc(c.control)} ${esc(c.title)}</h3><ul>${c.findings
              .map(
                (f) =>
                  `<li data-system="${esc(f.system ?? '')}"><span class="sev ${f.severity}">${SEVERITY_WORDS[f.severity]}</span> <code>${esc(f.rule)}</code> ${esc(f.system ?? '')} at <code>${esc(location(f))}</code>: ${esc(f.message)}</li>`,
              )
              .join('')}</ul>`,
        )
        .join('\n')
}
</section>

<section id="waivers">
<h2>Waivers</h2>
${
  report.waivers.length === 0
    ? '<p class="empty">No waivers.</p>'
    : `<table><thead><tr><th>Rule</th><th>System</th><th>Status</th><th>Expires</th><th>Approver</th><th>Reason</th></tr></thead><tbody>${report.waivers
        .map(
          (w) =>
            `<tr class="waiver-${w.status}"><td><code>${esc(w.rule)}</code></td><td>${esc(w.system)}</td><td>${w.status}</td><td>${esc(w.expires)}</td><td>${esc(w.approver)}</td><td>${esc(w.reason)}</td></tr>`,
        )
        .join('')}</tbody></table>`
}
</section>

<section id="soa">
<h2>Statement of Applicability — ISO/IEC 42001:2023 Annex A</h2>
<p id="soa-summary">${esc(applicabilitySentence(report.applicability))}</p>
<table>
<thead><tr><th>Control</th><th>Applicable</th><th>Justification</th><th>Evidence</th><th>Status</th></tr></thead>
<tbody>
${report.applicability.map(soaRow).join('\n')}
</tbody>
</table>
</section>

<script>${SCRIPT}</script>
</body>
</html>
`;
}

/** One control: its objective under its title, the evidence as a list (documents with digests, log entries), what is missing. */
function soaRow(r: ApplicabilityRow): string {
  const items = evidenceItems(r).map((item) =>
    'document' in item
      ? `<li class="document"><code>${esc(item.document.path)}</code> <span class="digest" title="SHA-256 ${item.document.sha256}">${item.document.sha256.slice(0, 16)}…</span></li>`
      : 'entry' in item
        ? `<li class="entry" data-seq="${item.entry.seq}">log ${esc(evidenceEntryWords(item.entry))}</li>`
        : `<li${'more' in item ? ' class="more"' : ''}>${esc('more' in item ? item.more : item.named)}</li>`,
  );
  const evidence = [
    items.length ? `<ul class="evidence">${items.join('')}</ul>` : '',
    r.missing ? `<p class="missing"><strong>Missing:</strong> ${esc(r.missing)}</p>` : '',
  ].join('');
  return `<tr data-control="${r.control}" data-status="${r.status}" data-automatic="${r.automatic}"><td><strong>${r.control}</strong> ${esc(r.title)}<br><small class="objective">${esc(r.objectiveId)} ${esc(r.objective)}</small></td><td>${r.applicable}</td><td>${esc(r.justification) || '—'}</td><td>${evidence || '—'}</td><td class="status ${r.status.replace(/ /g, '-')}">${APPLICABILITY_STATUS[r.status]}</td></tr>`;
}

/** Events, each entry from a verification break on marked: the chain no longer vouches for them. */
function eventTable(events: AuditEntry[], unproven = Number.POSITIVE_INFINITY): string {
  return `<table class="events"><thead><tr><th>#</th><th>Time (UTC)</th><th>Event</th><th>System</th><th>Actor</th><th>Details</th></tr></thead><tbody>${events
    .map(
      (e) =>
        `<tr class="event${e.seq >= unproven ? ' unproven' : ''}" data-type="${esc(e.type)}" data-system="${esc(e.subject?.system ?? '')}"><td>${e.seq}${e.seq >= unproven ? ` <span class="mark">${UNPROVEN_MARK}</span>` : ''}</td><td>${esc(e.time)}</td><td>${esc(eventLabel(e.type))}</td><td>${esc(e.subject?.system ?? '—')}</td><td>${esc(e.actor?.login ?? '—')}</td><td>${esc(eventDetails(e))}</td></tr>`,
    )
    .join('')}</tbody></table>`;
}

function card(id: string, value: number, label: string): string {
  return `<div class="card" id="count-${id}"><span class="value">${value}</span><span class="label">${label}</span></div>`;
}

function tier(value: string | undefined): string {
  return value ? `<span class="tier ${value}">${value}</span>` : '—';
}

const STYLE = `
:root { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; }
body { max-width: 1200px; margin: 0 auto; padding: 24px; }
h1 { margin: 0 0 4px; font-size: 24px; } h2 { margin-top: 32px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
.meta { color: #59636e; margin: 0 0 16px; }
.banner { padding: 12px 16px; border-radius: 6px; border: 1px solid; } .banner p { margin: 4px 0 0; }
.banner.ok { background: #dafbe1; border-color: #4ac26b; } .banner.failed { background: #ffebe9; border-color: #ff8182; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 8px; margin: 16px 0; }
.card { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px; } .card .value { display: block; font-size: 22px; font-weight: 600; }
.card .label { color: #59636e; font-size: 12px; }
.filters { position: sticky; top: 0; background: #fff; padding: 8px 0; display: flex; gap: 16px; align-items: center; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; } th, td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid #eaeef2; }
th { background: #f6f8fa; } .events td:nth-child(2) { white-space: nowrap; } code { font-size: 12px; } .digest { font-family: ui-monospace, monospace; font-size: 11px; color: #59636e; }
.empty { color: #59636e; font-style: italic; }
tr.unproven { background: #fff8c5; } .mark { color: #9a6700; font-weight: 600; white-space: nowrap; }
.sev, .tier { padding: 0 6px; border-radius: 10px; font-size: 12px; }
.sev.major, .tier.prohibited, .status.major { background: #ffebe9; } .sev.minor, .tier.high, .status.minor { background: #fff8c5; }
.sev.observation, .status.observation { background: #ddf4ff; } .status.conformant { background: #dafbe1; } .status.not-addressed, .status.flagged { background: #ffebe9; font-weight: 600; }
ul.evidence { margin: 0; padding-left: 16px; } .evidence .more { color: #59636e; list-style: none; } .missing { margin: 4px 0 0; color: #9a6700; } .objective { color: #59636e; }
[hidden] { display: none !important; }
@media print {
  .filters { display: none; } body { max-width: none; padding: 0; font-size: 11px; }
  section { break-inside: auto; } tr { break-inside: avoid; } h2 { break-after: avoid; } .banner { break-inside: avoid; }
}`;

const SCRIPT = `
(function () {
  var system = document.getElementById('filter-system');
  var type = document.getElementById('filter-type');
  var counter = document.getElementById('event-count');
  function apply() {
    var shown = 0, total = 0;
    document.querySelectorAll('.system-timeline').forEach(function (section) {
      section.hidden = Boolean(system.value) && section.dataset.system !== system.value;
    });
    document.querySelectorAll('#timeline tr.event').forEach(function (row) {
      var visible = !row.closest('.system-timeline').hidden && (!type.value || row.dataset.type === type.value);
      row.hidden = !visible;
      total++;
      if (visible) shown++;
    });
    document.querySelectorAll('#gates tr.event, #inventory tbody tr, #findings li').forEach(function (row) {
      row.hidden = Boolean(system.value) && row.dataset.system !== system.value || (row.matches('#gates tr') && Boolean(type.value) && row.dataset.type !== type.value);
    });
    counter.textContent = shown + ' of ' + total + ' events';
  }
  system.addEventListener('change', apply);
  type.addEventListener('change', apply);
})();`;
