import type { ReportingDescriptor, Result, Run } from 'sarif';
import { findingFingerprint } from '../fingerprint.js';
import { streamOf } from '../stream.js';
import type { Evaluation, Finding, RuleSummary, Severity } from '../types.js';
import { SEVERITY_WORDS } from './words.js';
import { nestedJson, type Writer, write } from './writer.js';

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

/** The SARIF of a whole evaluation (the Action's code-scanning upload). */
export function renderSarif(evaluation: Evaluation, version: string): string {
  return [...write(sarifWriter(version), streamOf(evaluation))].join('');
}

/**
 * SARIF 2.1.0 for GitHub code scanning: one rule per policy rule, one result per finding. Results are written as
 * each system is judged, before the tool and its rules (JSON's keys have no order): a rule no policy defines (an
 * inventory check) is described from its first finding, the one thing kept of them.
 */
export function sarifWriter(version: string): Writer {
  const index = new Map<string, number>();
  /** Rules outside the policy, in the order they were first found, each with its first finding. */
  const extra: Finding[] = [];
  let results = 0;
  return {
    *head(head) {
      for (const id of head.ruleIds) index.set(id, index.size);
      yield `{\n  "version": "2.1.0",\n  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",\n  "runs": [\n    {\n      "automationDetails": ${nestedJson({ id: 'aims-gate/' }, '      ')},\n      "results": [`;
    },
    *system({ findings }) {
      for (const f of findings) {
        if (!index.has(f.rule)) {
          index.set(f.rule, index.size);
          extra.push(f);
        }
        yield `${results++ ? ',' : ''}\n        ${nestedJson(result(f, index.get(f.rule)!), '        ')}`;
      }
    },
    *tail(tail) {
      const descriptors: ReportingDescriptor[] = [
        ...tail.rules.map(descriptor),
        ...extra.map((f) =>
          descriptor({
            id: f.rule,
            title: f.rule,
            kind: 'inventory',
            severity: f.severity,
            controls: f.controls,
            clauses: [],
            remedy: f.remedy,
            documents: [],
          }),
        ),
      ];
      const tool: Run['tool'] = {
        driver: {
          name: 'aims-gate',
          version,
          semanticVersion: version,
          informationUri: 'https://github.com/aims-gate/aims-gate',
          rules: descriptors,
        },
      };
      yield `${results ? '\n      ]' : ']'},\n      "tool": ${nestedJson(tool, '      ')}\n    }\n  ]\n}\n`;
    },
  };
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
