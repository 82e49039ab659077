/**
 * The HOPE rule language (docs/placement.md "The rule language"): grammar, the chain rule of
 * `&&`/`||`, evaluation semantics and messages, and the function library.
 */
import { describe, expect, it } from 'vitest';
import { compileHopeRule, evaluateHopeRule, placementRuleProblems, type Json } from '../../src/api/hope/index.ts';

const INFO: Json = {
  executorNodeId: 'e1',
  allocatedExecutorNodeMetadata: { zone: 'z1', rack: 'r12', 'a/b': 'slash', 'a~b': 'tilde', cores: '8' },
  allExecutorMetadata: { e2: { zone: 'z2' } },
  applicationEnvironment: { MODE: 'blue' },
  numbers: { eight: 8, half: 0.5, flag: true, list: [1, 2, 3], nothing: null, empty: '' },
};

function run(rule: string, document: Json = INFO): { result: boolean } | { error: string } {
  const compiled = compileHopeRule(rule);
  if ('error' in compiled) return { error: compiled.error };
  return evaluateHopeRule(compiled.rule, document, new Date(2026, 0, 5, 13, 45, 30)); // a Monday
}

const value = (rule: string) => {
  const outcome = run(rule);
  if ('error' in outcome) throw new Error(`${rule}: ${outcome.error}`);
  return outcome.result;
};

const compileError = (rule: string) => {
  const compiled = compileHopeRule(rule);
  if (!('error' in compiled)) throw new Error(`${rule} compiled`);
  return compiled.error;
};

describe('HOPE grammar', () => {
  it('compares pointers with literals in either quote style and literals with literals', () => {
    expect(value('"/allocatedExecutorNodeMetadata/zone" == "z1"')).toBe(true);
    expect(value("'/allocatedExecutorNodeMetadata/zone' != 'z1'")).toBe(false);
    expect(value('"z1" == "/allocatedExecutorNodeMetadata/zone"')).toBe(true);
    expect(value('"/executorNodeId" == "/executorNodeId"')).toBe(true);
    expect(value('1 == 1.0')).toBe(true);
    expect(value('-1.5 < .5')).toBe(true);
    expect(value('1. >= 1')).toBe(true);
    expect(value('TRUE == true')).toBe(true);
    expect(value('false != "/numbers/flag"')).toBe(true);
  });

  it('reads JSON pointers with ~1 and ~0 escapes', () => {
    expect(value('"/allocatedExecutorNodeMetadata/a~1b" == "slash"')).toBe(true);
    expect(value('"/allocatedExecutorNodeMetadata/a~0b" == "tilde"')).toBe(true);
  });

  it('applies the last combiner to the whole chain; only parentheses group', () => {
    // A && B || C is OR(A, B, C): true when C alone holds
    expect(value('1 == 2 && 1 == 2 || 1 == 1')).toBe(true);
    // A || B && C is AND(A, B, C): false when C fails although A holds
    expect(value('1 == 1 || 1 == 1 && 1 == 2')).toBe(false);
    // with parentheses, usual grouping
    expect(value('(1 == 1 || 1 == 1) && 1 == 2')).toBe(false);
    expect(value('1 == 1 || (1 == 1 && 1 == 2)')).toBe(true);
    expect(value('((("/executorNodeId" == "e1")))')).toBe(true);
  });

  it('short-circuits && and || left to right, but & and | evaluate both sides', () => {
    expect(run('1 == 2 && "/missing/x" == "y"')).toEqual({ result: false });
    expect(run('1 == 1 || "/missing/x" == "y"')).toEqual({ result: true });
    expect(run('"/numbers/flag" | "/missing/flag"')).toEqual({ error: 'Missing value at path: /missing/flag' });
    expect(value('"/numbers/flag" & true')).toBe(true);
    expect(value('^"/numbers/flag"')).toBe(false);
    expect(value('^pointer.exists("/numbers/nothing")')).toBe(true);
  });

  it('rejects what HOPE cannot parse, with the parser position', () => {
    expect(compileError('"/a"')).toBe('Rule compilation error: Error parsing expression: Line 1, col 5: expected "|", "&", "<", ">", "<=", ">=", "!=", or "=="');
    expect(compileError('"a" == 1')).toMatch(/^Rule compilation error: Error parsing expression: Line 1, col 8: expected/);
    expect(compileError('\t1 == 1')).toMatch(/Line 1, col 1: expected/); // a TAB is not whitespace in HOPE
    expect(compileError('str.match("a", "b")')).toMatch(/Line 1, col 20: expected/); // a bare call is not a comparison
    expect(compileError('1 == 1 &&')).toMatch(/Line 1, col 10: expected/);
    expect(compileError('"/a" ~ "b"')).toMatch(/Line 1, col 6/);
    expect(compileError('"" == "/a"')).toMatch(/Line 1, col 2/); // strings have at least one character
    expect(compileError('[1] == "/a"')).toMatch(/Line 1, col 1/); // arrays only as arguments
    expect(compileError('^(1 == 1)')).toMatch(/Line 1, col 2/); // ^ negates a value, not an expression
    expect(compileError('"$.executorNodeId" == "e1"')).toMatch(/JSON paths are not supported/);
    // bounds: nesting that would exhaust the parser's stack, and text longer than the limit
    expect(compileError(`${'('.repeat(2000)}1 == 1${')'.repeat(2000)}`)).toBe('Rule compilation error: Error parsing expression: the rule nests parentheses too deeply');
    expect(compileError(Array.from({ length: 800 }, () => '1 == 1').join(' && '))).toMatch(/the rule is 7996 characters long; at most 4096 are accepted/);
    expect(value(`${'('.repeat(50)}1 == 1${')'.repeat(50)}`)).toBe(true);
  });

  it('checks function names and arities at compile time', () => {
    expect(compileError('foo.bar(1) == 1')).toBe("Rule compilation error: Error parsing expression: Unknown function 'foo.bar'");
    expect(compileError('str.len("a", "b") == 1')).toBe('Rule compilation error: Error parsing expression: No matching function named str.len that accepts 2 params.');
    expect(compileError('math.mod(1) == 1')).toMatch(/No matching function named math.mod that accepts 1 params/);
  });
});

describe('HOPE evaluation', () => {
  it('compares same-typed values only: metadata values are strings', () => {
    expect(value('"/allocatedExecutorNodeMetadata/cores" == 8')).toBe(false);
    expect(value('"/allocatedExecutorNodeMetadata/cores" == "8"')).toBe(true);
    expect(value('"/numbers/eight" == 8')).toBe(true);
    expect(value('"/numbers/eight" > 7.5')).toBe(true);
  });

  it('reports missing values and type mismatches as HOPE does', () => {
    expect(run('"/allocatedExecutorNodeMetadata/gpu" == "a100"')).toEqual({ error: 'Missing value at path: /allocatedExecutorNodeMetadata/gpu' });
    expect(run('"/numbers/nothing" == "x"')).toEqual({ error: 'Missing value at path: /numbers/nothing' });
    expect(run('"/allocatedExecutorNodeMetadata" == "x"')).toEqual({ error: 'Missing value at path: /allocatedExecutorNodeMetadata' });
    expect(run('"/allocatedExecutorNodeMetadata/cores" > 4')).toEqual({
      error: 'Type mismatch at path /allocatedExecutorNodeMetadata/cores. Expected: NUMBER Actual: STRING',
    });
    expect(run('"/allocatedExecutorNodeMetadata/zone" & true')).toEqual({
      error: 'Type mismatch at path /allocatedExecutorNodeMetadata/zone. Expected: BOOLEAN Actual: STRING',
    });
    // the guard idiom for an optional key
    expect(value('pointer.exists("/allocatedExecutorNodeMetadata/gpu") == true && "/allocatedExecutorNodeMetadata/gpu" == "a100"')).toBe(false);
  });

  it('runs the function library', () => {
    expect(value('str.match("^r[0-9]+$", "/allocatedExecutorNodeMetadata/rack") == true')).toBe(true);
    expect(value('str.match("r1", "/allocatedExecutorNodeMetadata/rack") == true')).toBe(false); // whole string, like Java's matches
    expect(run('str.match("/numbers/empty", "x") == true')).toEqual({ error: 'Regex is empty' });
    expect(value('str.len("/allocatedExecutorNodeMetadata/rack") == 3')).toBe(true);
    expect(value('str.upper("/applicationEnvironment/MODE") == "BLUE"')).toBe(true);
    expect(value('str.lower("ABC") == "abc"')).toBe(true);
    expect(value('str.substr("/allocatedExecutorNodeMetadata/rack", 1) == "12"')).toBe(true);
    expect(value('str.substr("abcdef", 1, 3) == "bc"')).toBe(true);
    expect(value('arr.in("/allocatedExecutorNodeMetadata/zone", ["z1", "z2"]) == true')).toBe(true);
    expect(value('arr.not_in("/allocatedExecutorNodeMetadata/zone", ["z3"]) == true')).toBe(true);
    expect(run('arr.in("/allocatedExecutorNodeMetadata/nope", ["z3"]) == true')).toEqual({ error: 'Missing value at path: /allocatedExecutorNodeMetadata/nope' });
    expect(value('arr.contains_any("/numbers/list", [5, 3]) == true')).toBe(true);
    expect(value('arr.contains_all("/numbers/list", [1, 3]) == true')).toBe(true);
    expect(value('arr.contains_all("/numbers/list", [1, 4]) == true')).toBe(false);
    expect(value('arr.is_empty([]) == true')).toBe(true);
    expect(value('arr.len("/numbers/list") == 3')).toBe(true);
    expect(value('math.add(1, 2, "/numbers/eight") == 11')).toBe(true);
    expect(value('math.prod(2, 3, 4) == 24')).toBe(true);
    expect(value('math.sub(5, 2) == 3 && math.div(9, 2) == 4.5 && math.mod(9, 4) == 1')).toBe(true);
    expect(run('math.div(1, 0) == 1')).toEqual({ error: 'Denominator is zero!!' });
    expect(value('math.abs(-2) == 2 && math.ceil(1.2) == 2 && math.floor(1.8) == 1 && math.negate(3) == -3')).toBe(true);
    expect(value('date.day_of_week() == 1 && date.hour_of_day() == 13 && date.minute_of_hour() == 45')).toBe(true);
    expect(value('date.year() == 2026 && date.month_of_year() == 1 && date.day_of_month() == 5 && date.day_of_year() == 5')).toBe(true);
    expect(value('date.week_of_year() == 2 && date.second_of_minute() == 30')).toBe(true);
    expect(value('date.now() > 0 && sys.epoch() == date.now()')).toBe(true);
    expect(value('utils.hash_j("hello") == 99162322')).toBe(true); // Java's "hello".hashCode()
    expect(value('math.mod(math.abs(utils.hash_j("/executorNodeId")), 2) == 0')).toBe(true); // "e1".hashCode() is 3180
  });
});

describe('placementRuleProblems (checked at submit)', () => {
  it('accepts a HOPE rule over the scheduling fields', () => {
    expect(placementRuleProblems('HOPE', '"/applicationEnvironment/MODE" == "blue" || "/executorNodeId" == "e9"')).toEqual([]);
  });
  it('names HOPE when MVEL is asked for', () => {
    expect(placementRuleProblems('MVEL', "allocatedExecutorNodeMetadata['zone'] == 'z1'")).toEqual([
      'RULE_BASED ruleType MVEL is not supported: corral evaluates HOPE rules only (ruleType: HOPE)',
    ]);
  });
  it('rejects a rule reading a field placement never provides', () => {
    expect(placementRuleProblems('HOPE', '"/executorNodeId" == "e1" && "/metadata/zone" == "z1"')).toEqual([
      'Rule reads /metadata/zone, which placement never provides: a rule sees /executorNodeId, /allocatedExecutorNodeMetadata, /allExecutorMetadata, /applicationEnvironment',
    ]);
  });
});
