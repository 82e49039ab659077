/**
 * HOPE placement rules (docs/placement.md): compile once, evaluate per candidate executor.
 *
 *   const compiled = compileHopeRule('"/allocatedExecutorNodeMetadata/zone" == "z1"');
 *   if ('error' in compiled) … // "Rule compilation error: Error parsing expression: Line 1, col …"
 *   evaluateHopeRule(compiled.rule, schedulingInfo) // { result: true } | { error: "Missing value at path: …" }
 *
 * Compiled rules are cached by their text (the scheduler evaluates the same few rules for every
 * candidate of every start); failed compiles are not cached.
 */
import { HopeCompileError, parseHope, type HopeArg, type HopeExpr } from './hope-ast.ts';
import { evaluateHope } from './hope-eval.ts';
import { HopeEvaluationError, type Json } from './hope-functions.ts';

export type { HopeExpr } from './hope-ast.ts';
export type { Json } from './hope-functions.ts';

const CACHE_LIMIT = 100;
const cache = new Map<string, HopeExpr>();

/**
 * Longest rule text accepted. Parsing costs tens of microseconds per character on a busy 2-core
 * machine, and a rule is compiled on the request path at submit: a bound keeps that in
 * milliseconds. Real rules are a few hundred characters.
 */
export const MAX_RULE_LENGTH = 4096;

/** Drove's prefix for a rule that does not compile. */
export function compileErrorMessage(detail: string): string {
  return `Rule compilation error: Error parsing expression: ${detail}`;
}

/** Compiles without the cache (the dry run always recompiles, as Drove's does). */
export function compileHopeRuleFresh(text: string): { rule: HopeExpr } | { error: string } {
  if (text.length > MAX_RULE_LENGTH) return { error: compileErrorMessage(`the rule is ${text.length} characters long; at most ${MAX_RULE_LENGTH} are accepted`) };
  try {
    return { rule: parseHope(text) };
  } catch (error) {
    if (error instanceof HopeCompileError) return { error: compileErrorMessage(error.message) };
    // The parser and the tree walk recurse per nesting level: hundreds of parentheses exhaust the stack.
    if (error instanceof RangeError) return { error: compileErrorMessage('the rule nests parentheses too deeply') };
    throw error;
  }
}

export function compileHopeRule(text: string): { rule: HopeExpr } | { error: string } {
  const cached = cache.get(text);
  if (cached) return { rule: cached };
  const compiled = compileHopeRuleFresh(text);
  if ('rule' in compiled) {
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(text, compiled.rule);
  }
  return compiled;
}

/** Evaluates; an evaluation error is returned, never thrown. */
export function evaluateHopeRule(rule: HopeExpr, document: Json, now?: Date): { result: boolean } | { error: string } {
  try {
    return { result: evaluateHope(rule, document, now) };
  } catch (error) {
    if (error instanceof HopeEvaluationError) return { error: error.message };
    throw error;
  }
}

/** The top-level fields of the document a placement rule is evaluated against. */
export const SCHEDULING_INFO_FIELDS = ['executorNodeId', 'allocatedExecutorNodeMetadata', 'allExecutorMetadata', 'applicationEnvironment'] as const;

/**
 * Whether a rule's value depends only on the document it is given and not on the clock
 * (`date.*`, `sys.*`) nor on `/allExecutorMetadata` (which changes as a deployment is placed):
 * such a rule gives one candidate the same answer every time, so placement may remember it.
 */
export function isStableRule(rule: HopeExpr): boolean {
  let stable = stability.get(rule);
  if (stable === undefined) {
    stable = ![...pointersOf(rule)].some((p) => p === '/allExecutorMetadata' || p.startsWith('/allExecutorMetadata/'))
      && ![...callsOf(rule)].some((name) => name.startsWith('date.') || name.startsWith('sys.'));
    stability.set(rule, stable);
  }
  return stable;
}
const stability = new WeakMap<HopeExpr, boolean>();

function* callsOf(node: HopeExpr | HopeArg): Generator<string> {
  switch (node.kind) {
    case 'chain':
      for (const term of node.terms) yield* callsOf(term);
      return;
    case 'compare':
      yield* callsOf(node.left);
      yield* callsOf(node.right);
      return;
    case 'not':
      yield* callsOf(node.value);
      return;
    case 'call':
      yield node.name;
      for (const arg of node.args) yield* callsOf(arg);
      return;
    case 'array':
      for (const item of node.items) yield* callsOf(item);
      return;
    default:
      return;
  }
}

function* pointersOf(node: HopeExpr | HopeArg): Generator<string> {
  switch (node.kind) {
    case 'chain':
      for (const term of node.terms) yield* pointersOf(term);
      return;
    case 'compare':
      yield* pointersOf(node.left);
      yield* pointersOf(node.right);
      return;
    case 'not':
      yield* pointersOf(node.value);
      return;
    case 'call':
      for (const arg of node.args) yield* pointersOf(arg);
      return;
    case 'array':
      for (const item of node.items) yield* pointersOf(item);
      return;
    case 'pointer':
      yield node.pointer;
      return;
    default:
      return;
  }
}

/**
 * Why a placement rule cannot be accepted at submit: it does not compile, or it reads a field
 * the scheduling document never has (such a rule could only ever fail, so it would never place).
 */
export function placementRuleProblems(ruleType: string, text: string): string[] {
  if (ruleType !== 'HOPE') return [`RULE_BASED ruleType ${ruleType} is not supported: corral evaluates HOPE rules only (ruleType: HOPE)`];
  const compiled = compileHopeRule(text);
  if ('error' in compiled) return [compiled.error];
  const unknown = [...new Set(pointersOf(compiled.rule))]
    .filter((pointer) => !(SCHEDULING_INFO_FIELDS as readonly string[]).includes(pointer.split('/')[1]?.replaceAll('~1', '/').replaceAll('~0', '~') ?? ''));
  return unknown.map((pointer) => `Rule reads ${pointer}, which placement never provides: a rule sees ${SCHEDULING_INFO_FIELDS.map((f) => `/${f}`).join(', ')}`);
}
