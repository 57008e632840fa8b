/** A refusal or a usage problem: said plainly on stderr, exit 1. */
export class CliError extends Error {
  override name = 'CliError';
}
