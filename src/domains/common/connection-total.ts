import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * A connection's `totalCount` counted beside its page instead of after it (issue 9).
 *
 * Pothos resolves a connection's `totalCount` as a field of the connection, so its count statement would wait until
 * the page's statement has answered: one more round trip to PostgreSQL in every list request, the order list's most
 * of all. Every `t.prismaConnection` (src/prisma-plans.ts) hands its `totalCount` option to {@link countBeside}
 * before it reads its page: where the operation selects `totalCount` unconditionally the count is sent at once, and
 * the `totalCount` field answers with it; otherwise (a `totalCount` behind a directive) the field counts when it is
 * resolved, if it is. A connection asked only for its total reads no page and counts all the same.
 */
export function countBeside(info: GraphQLResolveInfo, count: () => Promise<number>): () => Promise<number> {
  if (!info.fieldNodes.some((node) => selectsTotal(node.selectionSet, info))) return count;
  const counting = count();
  // Reported by the totalCount field, which awaits it; a page that fails first must not leave it unhandled.
  counting.catch(() => {});
  return () => counting;
}

/**
 * Whether the selection asks for `totalCount` unconditionally (no `@include`/`@skip` on the way), through fragments
 * (validation has refused fragment cycles before any resolver runs).
 */
function selectsTotal(selectionSet: SelectionSetNode | undefined, info: GraphQLResolveInfo): boolean {
  if (!selectionSet) return false;
  return selectionSet.selections.some((selection) => {
    if (selection.directives?.length) return false;
    if (selection.kind === Kind.FIELD) return selection.name.value === 'totalCount';
    if (selection.kind === Kind.INLINE_FRAGMENT) return selectsTotal(selection.selectionSet, info);
    return selectsTotal(info.fragments[selection.name.value]?.selectionSet, info);
  });
}
