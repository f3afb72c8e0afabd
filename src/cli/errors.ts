import { ConfigErrors, isCustodyError } from '../shared/errors.ts';

/** One line an operator can act on. Unexpected errors keep their message, never a stack. */
export function formatCliError(error: unknown): string {
  if (error instanceof ConfigErrors) {
    return error.errors.map((e) => `custody: invalid setting ${e.message}`).join('\n');
  }
  if (isCustodyError(error)) return `custody: ${error.message}`;
  if (error instanceof Error) return `custody: ${error.message}`;
  return `custody: ${String(error)}`;
}
