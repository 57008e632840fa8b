/** Writes src/domain/contract-checks.generated.ts (see scripts/contract-checks.ts): `npm run generate:checks`. */
import { writeFile } from 'node:fs/promises';
import { GENERATED_PATH, generateContractChecks } from './contract-checks.js';

await writeFile(new URL(`../${GENERATED_PATH}`, import.meta.url), generateContractChecks());
process.stdout.write(`wrote ${GENERATED_PATH}\n`);
