// Generates a synthetic monorepo: N AI systems, each with a model card, a risk and an impact assessment,
// made from the example's conformant system with names, versions and ratings varied so no two files are equal.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const example = new URL('../examples/ml-platform/models/credit-scoring/', import.meta.url);
const read = (name) => readFileSync(new URL(name, example), 'utf8');

export function generateMonorepo(root, systems) {
  rmSync(root, { recursive: true, force: true });
  const card = read('MODEL_CARD.md');
  const risk = read('risk-assessment.yml');
  const impact = read('impact-assessment.yml');
  mkdirSync(join(root, '.github'), { recursive: true });
  writeFileSync(join(root, '.github/aims-gate.yml'), 'systems: [teams/*/models/*]\n');
  for (let i = 0; i < systems; i++) {
    const id = `system-${String(i).padStart(4, '0')}`;
    const dir = join(root, 'teams', `team-${i % 40}`, 'models', id);
    mkdirSync(dir, { recursive: true });
    const version = `${1 + (i % 7)}.${i % 13}.0`;
    const vary = (text) => text.replaceAll('credit-scoring', id).replaceAll('3.2.0', version);
    writeFileSync(join(dir, 'MODEL_CARD.md'), vary(card).replace('value: 0.91', `value: 0.${80 + (i % 19)}`));
    writeFileSync(join(dir, 'risk-assessment.yml'), vary(risk));
    writeFileSync(join(dir, 'impact-assessment.yml'), vary(impact));
    writeFileSync(join(dir, 'train.py'), `# ${id}\n`);
  }
  return systems * 3;
}
