// Writes the inputs and outputs tables of docs/action.md from action.yml, between the page's markers, so the
// page never drifts from what the Action reads: `node scripts/action-docs.js` (test/action-docs.test.ts fails
// when the page is not what this writes). The rest of the page is prose, edited by hand.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const PAGE = `${ROOT}docs/action.md`;
const START = '<!-- generated from action.yml by scripts/action-docs.js: do not edit below -->';
const END = '<!-- end of generated -->';

/** A table cell: one line, with the characters Markdown tables reserve escaped. */
const cell = (text) =>
  String(text).replace(/\s+/g, ' ').replaceAll('|', '\\|').replaceAll('<', '&lt;').trim();

/** The generated section: every input (name, default, what it does) and every output of action.yml. */
export function generated(actionYml = readFileSync(`${ROOT}action.yml`, 'utf8')) {
  const action = parse(actionYml);
  const inputs = Object.entries(action.inputs ?? {}).map(
    ([name, input]) =>
      `| \`${name}\` | ${input.default === undefined ? '' : `\`${cell(input.default)}\``} | ${cell(input.description)} |`,
  );
  const outputs = Object.entries(action.outputs ?? {}).map(
    ([name, output]) => `| \`${name}\` | ${cell(output.description)} |`,
  );
  return [
    START,
    '',
    `### Inputs (${inputs.length})`,
    '',
    '| input | default | what it is |',
    '|---|---|---|',
    ...inputs,
    '',
    `### Outputs (${outputs.length})`,
    '',
    '| output | what it is |',
    '|---|---|',
    ...outputs,
    '',
    `Runtime: \`${action.runs.using}\`, \`${action.runs.main}\`.`,
    '',
    END,
  ].join('\n');
}

/** The page with its generated section replaced by what action.yml says now. */
export function updated(page = readFileSync(PAGE, 'utf8')) {
  const start = page.indexOf(START);
  const end = page.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${PAGE}: the markers "${START}" and "${END}" are missing`);
  return page.slice(0, start) + generated() + page.slice(end + END.length);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(PAGE, updated());
  console.log('docs/action.md: inputs and outputs written from action.yml');
}
