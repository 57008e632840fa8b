#!/usr/bin/env node
// vidproc needs Node >= 22.17 (MikroORM 7). `npm run` puts the project's own Node 22 first on PATH.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 17)) {
  process.stderr.write(`vidproc: Node.js >= 22.17 is required (this is ${process.version}); run it through npm (npm run start -- <command>) or install Node 22\n`);
  process.exit(1);
}
await import('../dist/main.js');
