/**
 * HOPE rules as data: the parse tree of hope-grammar.ts turned into a small AST, with function
 * names and arities checked, so a rule that compiles can only fail at evaluation on the data it
 * reads (a missing path, a wrong type).
 */
import type { Node, NonterminalNode, TerminalNode } from 'ohm-js';
import { hopeGrammar } from './hope-grammar.ts';
import { functionArityProblem } from './hope-functions.ts';

export type JsonScalar = string | number | boolean;

export type HopeValue =
  | { kind: 'literal'; value: JsonScalar }
  | { kind: 'pointer'; pointer: string }
  | { kind: 'path'; path: string }
  | { kind: 'call'; name: string; args: HopeArg[] };

export type HopeArg = HopeValue | { kind: 'array'; items: HopeValue[] };

export type CompareOp = '==' | '!=' | '>' | '>=' | '<' | '<=' | '&' | '|';

export type HopeExpr =
  | { kind: 'chain'; combiner: 'AND' | 'OR'; terms: HopeExpr[] }
  | { kind: 'compare'; op: CompareOp; left: HopeValue; right: HopeValue }
  | { kind: 'not'; value: HopeValue };

/** A rule that failed to compile; `message` is the parser's or the function check's. */
export class HopeCompileError extends Error {}

const semantics = hopeGrammar.createSemantics();

function unquote(node: Node): string {
  const text = node.sourceString;
  return text.slice(1, -1);
}

function compare(left: Node, op: Node, right: Node): HopeExpr {
  return { kind: 'compare', op: op.sourceString as CompareOp, left: left.ast(), right: right.ast() };
}

semantics.addOperation<unknown>('ast', {
  Rule(first: Node, combiners: Node, rest: Node): HopeExpr {
    const terms: HopeExpr[] = [first.ast(), ...rest.children.map((c) => c.ast() as HopeExpr)];
    if (terms.length === 1) return terms[0];
    // HOPE's chain rule: the operands fill one list and the LAST combiner applies to all of them
    // (`A && B || C` is OR(A, B, C)); only parentheses group.
    const last = combiners.children.at(-1)?.sourceString;
    return { kind: 'chain', combiner: last === '||' ? 'OR' : 'AND', terms };
  },
  Expr_group(_open: Node, rule: Node, _close: Node) {
    return rule.ast();
  },
  Cmp_not(_caret: Node, value: Node): HopeExpr {
    return { kind: 'not', value: value.ast() };
  },
  Cmp_bool: compare,
  Cmp_number: compare,
  Cmp_string: compare,
  Cmp_refEquals: compare,
  Cmp_refOrder: compare,
  Cmp_refLogic: compare,
  Call(name: Node, _open: Node, args: Node, _close: Node): HopeValue {
    const fn = name.sourceString;
    const list = args.asIteration().children.map((a) => a.ast() as HopeArg);
    const problem = functionArityProblem(fn, list.length);
    if (problem) throw new HopeCompileError(problem);
    return { kind: 'call', name: fn, args: list };
  },
  Arg_array(_open: Node, items: Node, _close: Node): HopeArg {
    return { kind: 'array', items: items.asIteration().children.map((i) => i.ast() as HopeValue) };
  },
  number(_sign: Node, _digits: Node): HopeValue {
    return { kind: 'literal', value: Number(this.sourceString) };
  },
  bool(_word: Node): HopeValue {
    return { kind: 'literal', value: this.sourceString.toLowerCase() === 'true' };
  },
  string(_quoted: Node): HopeValue {
    return { kind: 'literal', value: unquote(this) };
  },
  pointer(_quoted: Node): HopeValue {
    return { kind: 'pointer', pointer: unquote(this) };
  },
  path(_quoted: Node): HopeValue {
    throw new HopeCompileError(`JSON paths are not supported (${this.sourceString}); address values with a JSON pointer such as "/allocatedExecutorNodeMetadata/zone"`);
  },
  _iter(...children: Node[]) {
    return children.map((c) => c.ast());
  },
  _terminal(this: TerminalNode) {
    return this.sourceString;
  },
  _nonterminal(this: NonterminalNode, ...children: Node[]) {
    if (children.length === 1) return children[0].ast();
    throw new Error(`no AST action for ${this.ctorName}`);
  },
});

/** Parses and checks a rule; throws HopeCompileError with the parser's message. */
export function parseHope(text: string): HopeExpr {
  const match = hopeGrammar.match(text);
  if (match.failed()) throw new HopeCompileError(match.shortMessage ?? 'the rule does not parse');
  return semantics(match).ast() as HopeExpr;
}
