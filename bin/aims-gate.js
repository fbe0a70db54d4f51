#!/usr/bin/env node
import { loadMain } from '../lib/cli/load.js';

// A reader that stops early (`aims-gate log | head -2`) is not an error: end quietly, as other tools do.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const main = await loadMain();
process.exitCode = await main(process.argv.slice(2));
