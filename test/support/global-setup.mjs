// Jest global setup: runs in Node itself (not Jest's sandbox), so it loads the TypeScript
// sources through Node's type stripping (see ts-hooks.mjs).
import './ts-hooks.mjs';

export default async function globalSetup() {
  const { setupServices } = await import('./setup-services.ts');
  await setupServices();
}
