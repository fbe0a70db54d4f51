import { matches } from '../glob.js';
import { folderPrefix } from '../inventory.js';
import type { RuleKind } from './types.js';
import { documentKindOf, documentParam } from './types.js';

/** When files that make up the model change (code, weights, training config), the document changes too. */
export const changeCoupling: RuleKind = {
  kind: 'change-coupling',
  summary:
    "When files matching the system's `watch` patterns change (code, weights, training config), this document is updated in the same change.",
  params: { properties: { document: documentParam }, required: ['document'] },
  reads: () => [],
  evaluate(rule, system) {
    const kind = documentKindOf(rule);
    const docPath = system.paths[kind];
    if (!system.changedFiles || !(system.documents[kind] || system.unreadable[kind])) return 'not-applicable';
    const prefix = folderPrefix(system.facts.path);
    const governance = new Set(Object.values(system.paths));
    const watched = system.changedFiles.filter(
      (file) =>
        !governance.has(file) &&
        system.watch.some((pattern) => matches(file.slice(prefix.length), pattern, { dot: true })),
    );
    if (watched.length === 0 || system.changedFiles.includes(docPath)) return [];
    const shown =
      watched.slice(0, 3).join(', ') + (watched.length > 3 ? ` and ${watched.length - 3} more` : '');
    return [
      {
        path: docPath,
        line: 1,
        message: `${watched.length} watched file${watched.length === 1 ? '' : 's'} changed (${shown}) but ${docPath} was not updated`,
      },
    ];
  },
};
