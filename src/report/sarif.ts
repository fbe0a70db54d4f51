import type { Log, ReportingDescriptor, Result } from 'sarif';
import { findingFingerprint } from '../fingerprint.js';
import type { Evaluation, Finding, RuleSummary, Severity } from '../types.js';
import { SEVERITY_WORDS } from './words.js';

const LEVEL: Record<Severity, Result.level> = { major: 'error', minor: 'warning', observation: 'note' };
/**
 * Code scanning's severity for alerts that are not security alerts. (`security-severity` would file
 * governance findings as security vulnerabilities: it is left out, as is the `security` tag.)
 */
const PROBLEM_SEVERITY: Record<Severity, string> = {
  major: 'error',
  minor: 'warning',
  observation: 'recommendation',
};

/** SARIF 2.1.0 for GitHub code scanning: one rule per policy rule, one result per finding. */
export function renderSarif(evaluation: Evaluation, version: string): string {
  const rules = evaluation.rules;
  const extra = [...new Set(evaluation.findings.map((f) => f.rule))].filter(
    (id) => !rules.some((r) => r.id === id),
  );
  const descriptors: ReportingDescriptor[] = [
    ...rules.map(descriptor),
    ...extra.map((id) => {
      const f = evaluation.findings.find((x) => x.rule === id)!;
      return descriptor({
        id,
        title: id,
        kind: 'inventory',
        severity: f.severity,
        controls: f.controls,
        clauses: [],
        remedy: f.remedy,
        documents: [],
      });
    }),
  ];
  const index = new Map(descriptors.map((d, i) => [d.id, i]));
  const log: Log = {
    version: '2.1.0',
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    runs: [
      {
        tool: {
          driver: {
            name: 'aims-gate',
            version,
            semanticVersion: version,
            informationUri: 'https://github.com/aims-gate/aims-gate',
            rules: descriptors,
          },
        },
        automationDetails: { id: 'aims-gate/' },
        results: evaluation.findings.map((f) => result(f, index.get(f.rule)!)),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function descriptor(rule: Omit<RuleSummary, 'appliedTo'>): ReportingDescriptor {
  const cites = [
    ...rule.controls.map((c) => `ISO/IEC 42001 ${c}`),
    ...rule.clauses.map((c) => `ISO/IEC 42001 clause ${c}`),
  ];
  return {
    id: rule.id,
    name: rule.id
      .replace(/[.-](\w)/g, (_, c: string) => c.toUpperCase())
      .replace(/^\w/, (c) => c.toUpperCase()),
    shortDescription: { text: rule.title },
    fullDescription: {
      text: `${rule.title} (${SEVERITY_WORDS[rule.severity]}; evidences ${cites.join(', ') || 'no control'}).`,
    },
    help: { text: rule.remedy, markdown: `**Fix:** ${rule.remedy}\n\nEvidences: ${cites.join(', ')}` },
    defaultConfiguration: { level: LEVEL[rule.severity] },
    properties: {
      tags: ['ai-governance', 'iso-42001', ...rule.controls],
      'problem.severity': PROBLEM_SEVERITY[rule.severity],
    },
  };
}

function result(f: Finding, ruleIndex: number): Result {
  const region = f.line ? { startLine: f.line, ...(f.column ? { startColumn: f.column } : {}) } : undefined;
  return {
    ruleId: f.rule,
    ruleIndex,
    level: LEVEL[f.severity],
    message: { text: `${f.message}.${f.original ? ` As written: ${f.original}.` : ''} Fix: ${f.remedy}` },
    ...(f.path
      ? {
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.path, uriBaseId: '%SRCROOT%' },
                ...(region ? { region } : {}),
              },
            },
          ],
        }
      : {}),
    // Code scanning matches alerts across runs by primaryLocationLineHash (it computes one from the line's
    // text when none is given). This one names the problem, not the line: an edit above it keeps the alert.
    partialFingerprints: { primaryLocationLineHash: `${findingFingerprint(f)}:1` },
    ...(f.waiver
      ? {
          suppressions: [
            {
              kind: 'external',
              status: 'accepted',
              justification: `${f.waiver.reason} (approved by ${f.waiver.approver}, expires ${f.waiver.expires})`,
            },
          ],
        }
      : {}),
    properties: { system: f.system, controls: f.controls, severity: SEVERITY_WORDS[f.severity] },
  };
}
