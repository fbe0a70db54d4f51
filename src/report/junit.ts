import type { Evaluation } from '../types.js';
import { printableText } from './printable.js';
import { failedChecks, location } from './words.js';

/**
 * JUnit XML, which every CI shows as a test report: a test suite per AI system, a test case per rule that
 * ran on it, failed with its findings (waived findings do not fail it). Findings outside any system form
 * their own suite.
 */
export function renderJunit(evaluation: Evaluation): string {
  const suites = evaluation.systems.map((system) => {
    const findings = evaluation.findings.filter((f) => f.system === system.id && !f.waiver);
    const failed = [...new Set(findings.map((f) => f.rule))];
    const cases = [
      ...failed.map((rule) => {
        const own = findings.filter((f) => f.rule === rule);
        const body = own.map((f) => `${location(f)}: ${f.message}\nfix: ${f.remedy}`).join('\n\n');
        return `    <testcase classname="${xml(system.id)}" name="${xml(rule)}">\n      <failure type="${own[0]!.severity}" message="${xml(own[0]!.message)}">${xml(body)}</failure>\n    </testcase>`;
      }),
      ...(system.checks > failed.length
        ? [
            `    <testcase classname="${xml(system.id)}" name="${system.checks - failed.length} other rules passed"/>`,
          ]
        : []),
    ];
    return `  <testsuite name="${xml(system.id)}" tests="${cases.length}" failures="${failed.length}" errors="0" skipped="0">\n${cases.join('\n')}\n  </testsuite>`;
  });
  const loose = evaluation.findings.filter((f) => !f.system && !f.waiver);
  if (loose.length)
    suites.push(
      `  <testsuite name="outside any AI system" tests="${loose.length}" failures="${loose.length}" errors="0" skipped="0">\n${loose
        .map(
          (f) =>
            `    <testcase classname="repository" name="${xml(`${f.rule} ${location(f)}`)}">\n      <failure type="${f.severity}" message="${xml(f.message)}">${xml(`fix: ${f.remedy}`)}</failure>\n    </testcase>`,
        )
        .join('\n')}\n  </testsuite>`,
    );
  // Counted as written: a test case per failed rule, one for the rules that passed, one per loose finding.
  const tests = [...text(suites).matchAll(/<testcase /g)].length;
  const failures = failedChecks(evaluation).size + loose.length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="aims-gate" tests="${tests}" failures="${failures}">\n${suites.join('\n')}\n</testsuites>\n`;
}

const text = (parts: string[]) => parts.join('\n');

/** Text in XML 1.0: markup escaped, and control characters (which XML 1.0 cannot hold) shown escaped. */
function xml(s: string): string {
  return printableText(s.replace(/\n/g, '\u0000'))
    .replace(/\\u0000/g, '\n')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}
