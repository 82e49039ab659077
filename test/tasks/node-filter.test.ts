import { describe, expect, it } from 'vitest';
import { matchNodeFilter, type FilterNode } from '../../src/controller/scheduler/node-filter.ts';

// The Drydock document's inventory (docs/sources.md#drydock).
const inventory: FilterNode[] = [
  { id: 'a', name: 'a', labels: { type: 'physical', color: 'blue' } },
  { id: 'b', name: 'b', labels: { type: 'virtual', color: 'yellow' } },
  { id: 'c', name: 'c', labels: { type: 'physical', color: 'yellow' } },
];

const names = (nodes: FilterNode[]) => nodes.map((n) => n.name);

describe('node filters (Drydock, docs/sources.md#drydock)', () => {
  it('gives a and c for the worked example', () => {
    const result = matchNodeFilter({
      filterSetType: 'union',
      filterSet: [
        { filterType: 'intersection', nodeLabels: { color: 'yellow', type: 'physical' } },
        { filterType: 'intersection', nodeNames: ['a'] },
      ],
    }, inventory);
    expect(names(result)).toEqual(['a', 'c']);
  });

  it('union within an entry matches any predicate', () => {
    const result = matchNodeFilter({
      filterSetType: 'union',
      filterSet: [{ filterType: 'union', nodeLabels: { color: 'yellow', type: 'physical' } }],
    }, inventory);
    expect(names(result)).toEqual(['a', 'b', 'c']);
  });

  it('intersection of entries keeps only nodes in every entry', () => {
    const result = matchNodeFilter({
      filterSetType: 'intersection',
      filterSet: [
        { filterType: 'intersection', nodeLabels: { type: 'physical' } },
        { filterType: 'union', nodeNames: ['c', 'b'] },
      ],
    }, inventory);
    expect(names(result)).toEqual(['c']);
  });

  it('matches tags (hostname included), racks and rack labels', () => {
    const nodes: FilterNode[] = [
      { id: '1', name: 'n1', hostname: 'h1', tags: ['gpu'], rack: 'r1', rackLabels: { room: 'x' } },
      { id: '2', name: 'n2', hostname: 'h2', tags: [], rack: 'r2', rackLabels: { room: 'y' } },
      { id: '3', name: 'n3', hostname: 'h3', tags: ['gpu', 'ssd'], rack: 'r2', rackLabels: { room: 'x' } },
    ];
    const f = (entry: object, type: 'union' | 'intersection' = 'intersection') =>
      names(matchNodeFilter({ filterSetType: 'union', filterSet: [{ filterType: type, ...entry }] }, nodes));
    expect(f({ nodeTags: ['gpu'] })).toEqual(['n1', 'n3']);
    expect(f({ nodeTags: ['gpu', 'ssd'] })).toEqual(['n3']);
    expect(f({ nodeTags: ['gpu', 'ssd'] }, 'union')).toEqual(['n1', 'n3']);
    expect(f({ nodeTags: ['h2'] })).toEqual(['n2']);
    expect(f({ rackNames: ['r2'] })).toEqual(['n2', 'n3']);
    expect(f({ rackLabels: { room: 'x' } })).toEqual(['n1', 'n3']);
    expect(f({ rackNames: ['r2'], rackLabels: { room: 'x' } })).toEqual(['n3']);
    expect(f({})).toEqual([]);
    expect(f({ nodeNames: ['nope'] })).toEqual([]);
  });
});
