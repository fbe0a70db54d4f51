#!/usr/bin/env node
import { main } from '../lib/cli/main.js';

// A reader that stops early (`aims-gate log | head -2`) is not an error: end quietly, as other tools do.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
