import './ts-hooks.mjs';

export default async function globalTeardown() {
  const { teardownServices } = await import('./setup-services.ts');
  await teardownServices();
}
