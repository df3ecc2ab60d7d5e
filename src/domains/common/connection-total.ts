import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * A connection's `totalCount` counted beside its page instead of after it (issue 9).
 *
 * Pothos resolves a connection's `totalCount` as a field of the connection, so its count statement waits until the
 * page's statement has answered: one more round trip to PostgreSQL in every list request, the order list's most of
 * all. The connection's resolver calls {@link countBeside} before it reads its page, which sends the count at once
 * when the operation selects `totalCount`; the `totalCount` resolver takes that count through {@link totalOf}, or
 * counts itself where none was started (a fragment behind a directive, say). Keyed by the field's `args` object, which
 * Pothos hands to both resolvers of one connection field and to no other.
 */
const started = new WeakMap<object, Promise<number>>();

export function countBeside(args: object, info: GraphQLResolveInfo, count: () => Promise<number>): void {
  if (!info.fieldNodes.some((node) => selectsTotal(node.selectionSet, info))) return;
  const counting = count();
  // Reported by the totalCount field, which awaits it; a page that fails first must not leave it unhandled.
  counting.catch(() => {});
  started.set(args, counting);
}

export function totalOf(args: object, count: () => Promise<number>): Promise<number> {
  const counting = started.get(args);
  if (!counting) return count();
  started.delete(args);
  return counting;
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
