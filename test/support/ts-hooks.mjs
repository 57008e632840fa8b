/**
 * Lets Node load the TypeScript sources natively (type stripping, Node >= 22.18) where Jest's
 * module system does not reach: the global setup and teardown, `vidproc` run by the tests, the
 * benchmark. Maps the `./x.js` specifiers that NodeNext style requires onto the `./x.ts` files
 * that exist.
 */
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (/^\.\.?\/.*\.js$/.test(specifier) && context.parentURL?.endsWith('.ts')) {
      try {
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
      } catch {
        // not a TypeScript source: resolve as written
      }
    }
    return nextResolve(specifier, context);
  },
});
