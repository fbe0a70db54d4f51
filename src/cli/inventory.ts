import { readEntries } from '../audit/read.js';
import { claimsGate, isGateKey, signerOf } from '../audit/signature.js';
import { evaluate } from '../evaluate.js';
import { InventoryLog, inventoryCsv, inventoryRows } from '../report/inventory-export.js';
import { printable } from '../report/printable.js';
import { LocalSource } from '../sources/local.js';
import { trustedSigners } from './audit.js';
import { fileStoreFor, givenLogExists, locate, refuseNothing } from './context.js';
import type { Output } from './main.js';
import { choice, parseCommand, today } from './options.js';

/** aims-gate inventory: the AI systems in scope, reconciled with the audit log, as text, CSV or JSON. */
export async function inventory(argv: string[], io: Output): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    format: { type: 'string', short: 'f', default: 'text' },
    log: { type: 'string' },
    config: { type: 'string', short: 'c' },
    today: { type: 'string' },
  });
  const format = choice('format', values.format, ['text', 'csv', 'json']);
  const { root } = locate(positionals[0]);
  const evaluation = await evaluate({
    source: new LocalSource(root),
    configPath: values.config,
    today: today(values.today),
  });
  const entries = new InventoryLog();
  let bad = 0;
  let forged = 0;
  const signers = await trustedSigners(root, values.config, undefined);
  let found = false;
  if (evaluation.policy.auditLog.startsWith('file:') || values.log) {
    const store = fileStoreFor(root, values.log, evaluation.policy.auditLog);
    found = await givenLogExists(store, values.log);
    if (found)
      for await (const entry of readEntries(store, {}, () => bad++)) {
        // A deployment no gate key signed is no deployment: it would show a commit as deployed that nobody approved.
        if (claimsGate(entry) && !isGateKey(signerOf(entry, signers))) forged++;
        else entries.add(entry);
      }
  }
  refuseNothing(root, evaluation, found);
  const rows = inventoryRows(evaluation, entries);
  if (format === 'json') io.out(`${JSON.stringify(rows, null, 2)}\n`);
  else if (format === 'csv') io.out(inventoryCsv(rows));
  else
    for (const r of printable(rows))
      io.out(
        `${r.id}  ${r.path || '-'}  ${r.tier || '-'}  ${r.status || '-'}  owner ${r.owner || '-'}  documents ${r.present.length}/${r.required.length}  evaluated ${r.lastEvaluation || 'never'}${Object.entries(
          r.lastDeployment,
        )
          .map(([e, d]) => `  ${e} ${d}`)
          .join('')}${r.warning ? `  ! ${r.warning}` : ''}\n`,
      );
  if (bad) io.err(`aims-gate: ${bad} line(s) of the log are not audit entries; run aims-gate verify\n`);
  if (forged)
    io.err(
      `aims-gate: ${forged} entr${forged === 1 ? 'y claims' : 'ies claim'} to be the gate's without a gate key's signature, and ${forged === 1 ? 'was' : 'were'} left out; run aims-gate verify\n`,
    );
  return 0;
}
