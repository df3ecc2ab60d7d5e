import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * A connection's `totalCount` counted beside its page instead of after it (issue 9).
 *
 * Pothos resolves a connection's `totalCount` as a field of the connection, so its count statement waits until the
 * page's statement has answered: one more round trip to PostgreSQL in every list request, the order list's most of
 * all. The connection's resolver hands its count to {@link countBeside} before it reads its page, which sends it at
 * once when the operation selects `totalCount`; the `totalCount` resolver answers with {@link totalOf}: that count, or
 * the count run then where none was started (a `totalCount` behind a directive, say). So each list names its count
 * once. Keyed by the field's `args` object, which Pothos hands to both resolvers of one connection field and to no
 * other; the connection's resolver always runs before its `totalCount`.
 */
const counts = new WeakMap<object, Promise<number> | (() => Promise<number>)>();

export function countBeside(args: object, info: GraphQLResolveInfo, count: () => Promise<number>): void {
  if (!info.fieldNodes.some((node) => selectsTotal(node.selectionSet, info))) {
    counts.set(args, count);
    return;
  }
  const counting = count();
  // Reported by the totalCount field, which awaits it; a page that fails first must not leave it unhandled.
  counting.catch(() => {});
  counts.set(args, counting);
}

export function totalOf(args: object): Promise<number> {
  const counted = counts.get(args);
  if (!counted) throw new Error('totalOf: the connection resolver did not call countBeside with these args');
  counts.delete(args);
  return typeof counted === 'function' ? counted() : counted;
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
