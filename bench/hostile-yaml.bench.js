// Hostile YAML: alias expansion, nesting and size bounds, each shape in its own process (bench/hostile-yaml.js).
import { join } from 'node:path';
import { ROOT, time } from './lib.js';

export const title = 'hostile YAML through the document parser';

export async function run() {
  console.log(time([join(ROOT, 'bench/hostile-yaml.js')]).stdout.trimEnd());
}
