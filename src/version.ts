import { readJsonAsset } from './assets.js';

/** aims-gate's version, from its package.json: the CLI prints it, SARIF and reports carry it. */
export const VERSION = readJsonAsset<{ version: string }>('package.json').version;
