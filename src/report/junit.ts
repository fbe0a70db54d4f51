import { groupBy } from '../group.js';
import type { Evaluation } from '../types.js';
import { printableText } from './printable.js';
import { bySystem, location } from './words.js';

/**
 * JUnit XML, which every CI shows as a test report: a test suite per AI system, a test case per rule that
 * ran on it, failed with its findings (waived findings do not fail it). Findings outside any system form
 * their own suite.
 */
export function renderJunit(evaluation: Evaluation): string {
  const open = bySystem(evaluation.findings.filter((f) => !f.waiver));
  const suites = evaluation.systems.map((system) => {
    const byRule = groupBy(open.get(system.id) ?? [], (f) => f.rule);
    const cases = [...byRule].map(([rule, own]) => {
      const body = own.map((f) => `${location(f)}: ${f.message}\nfix: ${f.remedy}`).join('\n\n');
      return `    <testcase classname="${xml(system.id)}" name="${xml(rule)}">\n      <failure type="${own[0]!.severity}" message="${xml(own[0]!.message)}">${xml(body)}</failure>\n    </testcase>`;
    });
    const passed = system.checks - system.skipped - byRule.size;
    if (passed > 0)
      cases.push(`    <testcase classname="${xml(system.id)}" name="${passed} other rules passed"/>`);
    // Rules that could not read their document did not pass: reported as skipped, the document's finding says why.
    if (system.skipped > 0)
      cases.push(
        `    <testcase classname="${xml(system.id)}" name="${system.skipped} rules skipped">\n      <skipped message="a document they read cannot be read"/>\n    </testcase>`,
      );
    return suite(system.id, cases, byRule.size, system.skipped > 0 ? 1 : 0);
  });
  const loose = open.get(undefined) ?? [];
  if (loose.length)
    suites.push(
      suite(
        'outside any AI system',
        loose.map(
          (f) =>
            `    <testcase classname="repository" name="${xml(`${f.rule} ${location(f)}`)}">\n      <failure type="${f.severity}" message="${xml(f.message)}">${xml(`fix: ${f.remedy}`)}</failure>\n    </testcase>`,
        ),
        loose.length,
      ),
    );
  const tests = suites.reduce((n, s) => n + s.tests, 0);
  const failures = suites.reduce((n, s) => n + s.failures, 0);
  const skipped = suites.reduce((n, s) => n + s.skipped, 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="aims-gate" tests="${tests}" failures="${failures}" skipped="${skipped}">\n${suites.map((s) => s.xml).join('\n')}\n</testsuites>\n`;
}

/** A test suite of these cases, of which `failures` failed and `skipped` were skipped: counts of what it holds. */
function suite(name: string, cases: string[], failures: number, skipped = 0) {
  return {
    tests: cases.length,
    failures,
    skipped,
    xml: `  <testsuite name="${xml(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}">\n${cases.join('\n')}\n  </testsuite>`,
  };
}

/** Text in XML 1.0: markup escaped, and control characters (which XML 1.0 cannot hold) shown escaped. */
function xml(s: string): string {
  return printableText(s.replace(/\n/g, '\u0000'))
    .replace(/\\u0000/g, '\n')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}
