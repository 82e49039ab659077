import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/common/clock.ts';
import {
  allocationTotals, formatMemoryMb, formatSpan, formatTime, formatTimeWithAge, renderKeyValues, renderTable, sortRows, type Column,
} from '../../src/cli/client/output-format.ts';
import { CliError, EXIT } from '../../src/cli/client/exit-codes.ts';

interface Row { id: string; cpus: number; created: number }
const columns: Column<Row>[] = [
  { header: 'Id', value: (r) => r.id },
  { header: 'CPUs', value: (r) => r.cpus },
  { header: 'Created', value: (r) => r.created, format: (v) => formatTime(v as number) },
];
const rows: Row[] = [
  { id: 'app-10', cpus: 4, created: 1_700_000_300_000 },
  { id: 'app-9', cpus: 12, created: 1_700_000_100_000 },
  { id: 'app-1', cpus: 2, created: 1_700_000_200_000 },
];

describe('renderTable', () => {
  it('aligns columns under their headers without borders or trailing spaces', () => {
    const text = renderTable(rows, columns);
    const lines = text.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^Id\s+CPUs\s+Created$/);
    const cpuColumn = lines[0].indexOf('CPUs');
    for (const line of lines.slice(1)) expect(line.slice(cpuColumn).trim()).toMatch(/^\d+\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    for (const line of lines) expect(line).toBe(line.trimEnd());
    expect(text).not.toMatch(/[│┌─]/);
  });

  it('sorts numbers numerically and text naturally, on raw values rather than formatted ones', () => {
    expect(sortRows(rows, columns, { sort: 1 }).map((r) => r.cpus)).toEqual([2, 4, 12]);
    expect(sortRows(rows, columns, { sort: 0 }).map((r) => r.id)).toEqual(['app-1', 'app-9', 'app-10']);
    expect(sortRows(rows, columns, { sort: 2, reverse: true }).map((r) => r.id)).toEqual(['app-10', 'app-1', 'app-9']);
    expect(sortRows(rows, columns, { reverse: true }).map((r) => r.id)).toEqual(['app-1', 'app-9', 'app-10']);
  });

  it('rejects a sort column that does not exist, naming the valid ones', () => {
    let error: unknown;
    try {
      sortRows(rows, columns, { sort: 3 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT.USAGE);
    expect((error as CliError).message).toContain('0=Id, 1=CPUs, 2=Created');
  });

  it('renders just the header for an empty list', () => {
    expect(renderTable([], columns)).toMatch(/^Id\s+CPUs\s+Created$/);
  });
});

describe('time and size formatting', () => {
  it('formats epoch milliseconds as local date and time, empty for absent values', () => {
    const t = new Date(2024, 6, 1, 9, 3, 5).getTime();
    expect(formatTime(t)).toBe('2024-07-01 09:03:05');
    expect(formatTime(undefined)).toBe('');
    expect(formatTime(0)).toBe('');
  });

  it('formats spans compactly', () => {
    expect(formatSpan(850)).toBe('850ms');
    expect(formatSpan(12_000)).toBe('12s');
    expect(formatSpan(200_000)).toBe('3m20s');
    expect(formatSpan(3_600_000)).toBe('1h');
    expect(formatSpan(7_500_000)).toBe('2h5m');
    expect(formatSpan(3 * 86_400_000 + 4 * 3_600_000)).toBe('3d4h');
  });

  it('adds the age relative to the injected clock', () => {
    const clock = new ManualClock(1_700_000_000_000);
    expect(formatTimeWithAge(1_700_000_000_000 - 200_000, clock)).toMatch(/ \(3m20s ago\)$/);
    expect(formatTimeWithAge(1_700_000_000_000 + 5_000, clock)).toMatch(/ \(in 5s\)$/);
  });

  it('formats megabytes', () => {
    expect(formatMemoryMb(512)).toBe('512 MB');
    expect(formatMemoryMb(2048)).toBe('2 GB');
    expect(formatMemoryMb(1536)).toBe('1.5 GB');
  });

  it('sums resource allocations across NUMA nodes', () => {
    expect(allocationTotals([
      { type: 'CPU', cores: { '0': [1, 2], '1': [5] } },
      { type: 'MEMORY', memoryInMB: { '0': 512, '1': 256 } },
    ])).toEqual({ cpus: 3, memoryMb: 768 });
    expect(allocationTotals(undefined)).toEqual({ cpus: 0, memoryMb: 0 });
  });

  it('pads key/value blocks to one width and skips undefined values', () => {
    expect(renderKeyValues([['Id', 'a'], ['Skipped', undefined], ['Long Key', 3]])).toBe('Id:       a\nLong Key: 3');
  });
});
