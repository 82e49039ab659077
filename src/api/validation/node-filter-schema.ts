/**
 * Drydock node filters (docs/sources.md#drydock) in corral's camelCase form: a `filterSet` of filters over node
 * names, tags, labels, racks and rack labels, each combined by its `filterType`, the results
 * combined by `filterSetType`. Values `union|intersection` are case-insensitive.
 */
import { z } from 'zod';
import type { NodeFilter } from '../task-types.ts';
import { lowerEnumOf, stringList, stringMap } from './field-schema.ts';

const combination = () => lowerEnumOf(['union', 'intersection']);

const filterEntrySchema = z.object({
  filterType: combination(),
  nodeNames: stringList().optional(),
  nodeTags: stringList().optional(),
  nodeLabels: stringMap().optional(),
  rackNames: stringList().optional(),
  rackLabels: stringMap().optional(),
});

export const nodeFilterSchema = z.object({
  filterSetType: combination(),
  filterSet: z.array(filterEntrySchema).min(1),
}) satisfies z.ZodType<NodeFilter>;
