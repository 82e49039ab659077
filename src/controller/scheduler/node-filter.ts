/**
 * Drydock node filters (docs/sources.md#drydock) over the executor inventory: which executors a fanned-out
 * task runs on, and the `POST /apis/v1/cluster/nodefilter` dry run.
 *
 * Semantics. A filter entry is a set of predicates on a node:
 *   - `nodeNames`  → one predicate: the executor's `name` is in the list;
 *   - `nodeTags`   → one predicate per tag: the executor has the tag (its hostname is a tag);
 *   - `nodeLabels` → one predicate per pair: the executor's label has that value;
 *   - `rackNames`  → one predicate: the executor's rack is in the list;
 *   - `rackLabels` → one predicate per pair: the executor's rack label has that value.
 * `filterType: intersection` keeps nodes satisfying every predicate of the entry, `union` nodes
 * satisfying at least one; an entry with no predicates matches nothing. `filterSetType`
 * then combines the entries' node sets by intersection or union. This gives the Drydock document's worked
 * example ({color: yellow, type: physical} ∪ names [a] over a, b, c → a and c).
 */
import type { NodeFilter, NodeFilterEntry } from '../../api/task-types.ts';

/** What a filter sees of a node (an executor). */
export interface FilterNode {
  id: string;
  name: string;
  hostname?: string;
  tags?: string[];
  labels?: Record<string, string>;
  rack?: string;
  rackLabels?: Record<string, string>;
}

type Predicate = (node: FilterNode) => boolean;

function predicatesOf(entry: NodeFilterEntry): Predicate[] {
  const predicates: Predicate[] = [];
  if (entry.nodeNames && entry.nodeNames.length > 0) {
    const names = new Set(entry.nodeNames);
    predicates.push((node) => names.has(node.name));
  }
  for (const tag of entry.nodeTags ?? []) {
    predicates.push((node) => node.hostname === tag || (node.tags ?? []).includes(tag));
  }
  for (const [key, value] of Object.entries(entry.nodeLabels ?? {})) {
    predicates.push((node) => node.labels?.[key] === value);
  }
  if (entry.rackNames && entry.rackNames.length > 0) {
    const racks = new Set(entry.rackNames);
    predicates.push((node) => node.rack !== undefined && racks.has(node.rack));
  }
  for (const [key, value] of Object.entries(entry.rackLabels ?? {})) {
    predicates.push((node) => node.rackLabels?.[key] === value);
  }
  return predicates;
}

function matchEntry(entry: NodeFilterEntry, nodes: readonly FilterNode[]): Set<string> {
  const predicates = predicatesOf(entry);
  const matched = new Set<string>();
  if (predicates.length === 0) return matched;
  for (const node of nodes) {
    const ok = entry.filterType === 'union' ? predicates.some((p) => p(node)) : predicates.every((p) => p(node));
    if (ok) matched.add(node.id);
  }
  return matched;
}

/** The nodes a filter selects, in inventory order. */
export function matchNodeFilter<T extends FilterNode>(filter: NodeFilter, nodes: readonly T[]): T[] {
  let selected: Set<string> | undefined;
  for (const entry of filter.filterSet) {
    const matched = matchEntry(entry, nodes);
    if (selected === undefined) selected = matched;
    else if (filter.filterSetType === 'union') for (const id of matched) selected.add(id);
    else selected = new Set([...selected].filter((id) => matched.has(id)));
  }
  const result = selected ?? new Set<string>();
  return nodes.filter((node) => result.has(node.id));
}

/** One line naming a filter in error messages. */
export function describeNodeFilter(filter: NodeFilter): string {
  return JSON.stringify(filter);
}
