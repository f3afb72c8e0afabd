/** Free text a client gives (names, reasons): no control characters (PostgreSQL refuses NUL). */
import { z } from 'zod';

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

export function plainText(max: number) {
  return z
    .string()
    .min(1)
    .max(max)
    .refine((t) => !hasControlCharacter(t), 'expected text without control characters');
}
