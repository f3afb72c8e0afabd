/**
 * Cursor pagination, as DESIGN.md fixes it: `?limit=N&cursor=C` → `{items, next}`, newest
 * first. `limit` is 1 to 100 (default 20); anything else is a 400, never clamped. The cursor is
 * the id of the last item of the previous page (ids sort by creation time), so a page never
 * skips or repeats an item when new ones arrive; `next` is null on the last page.
 */
import { z } from 'zod';
import { type IdPrefix, idPattern } from '../../../shared/ids.ts';

export const MAX_PAGE = 100;
export const DEFAULT_PAGE = 20;

export function pageQuery(prefix: IdPrefix) {
  return z
    .object({
      limit: z
        .string()
        .regex(/^(100|[1-9][0-9]?)$/, 'expected a whole number from 1 to 100')
        .transform(Number)
        .optional()
        .meta({ description: 'items per page, 1 to 100 (default 20)' }),
      cursor: z
        .string()
        .regex(idPattern(prefix), `expected the \`next\` of a previous page (${prefix}_…)`)
        .optional()
        .meta({ description: 'the `next` value of the previous page' }),
    })
    .strict();
}

export type PageQuery = { limit?: number | undefined; cursor?: string | undefined };

/** Prisma arguments for one page of a model keyed by time-ordered ids. */
export function pageArgs(q: PageQuery) {
  const take = (q.limit ?? DEFAULT_PAGE) + 1;
  return {
    where: q.cursor === undefined ? {} : { id: { lt: q.cursor } },
    orderBy: { id: 'desc' as const },
    take,
  };
}

/** The page and its `next` cursor from rows fetched with `pageArgs` (one row too many). */
export function toPage<R extends { id: string }, V>(
  rows: readonly R[],
  q: PageQuery,
  view: (row: R) => V,
): { items: V[]; next: string | null } {
  const limit = q.limit ?? DEFAULT_PAGE;
  const page = rows.slice(0, limit);
  return {
    items: page.map(view),
    next: rows.length > limit ? page[page.length - 1]!.id : null,
  };
}

export function pageSchema<T extends z.ZodType>(item: T, id: string) {
  return z.object({ items: z.array(item), next: z.string().nullable() }).meta({ id });
}
