/**
 * The HOPE rule language's grammar (docs/placement.md "The rule language"), written for the
 * ohm-js parser library. It follows HOPE's own grammar: every expression is a comparison, `&&`
 * and `||` fill one flat chain (no precedence; hope-ast.ts applies the chain rule), `^` negates a
 * value, arrays appear only as function arguments, and only space, CR and LF separate tokens (a
 * TAB is an error, as in HOPE).
 *
 * Strings and JSON pointers share their quotes: a quoted text starting with `/` is a pointer,
 * one starting with `$` a JSON path, anything else a literal string.
 */
import * as ohm from 'ohm-js';

const GRAMMAR = String.raw`
Hope {
  Rule = Expr (combiner Expr)*

  Expr = "(" Rule ")"                -- group
       | Cmp

  Cmp = "^" BoolArg                  -- not
      | bool boolOp BoolArg          -- bool
      | number numOp NumArg          -- number
      | string eqOp StrArg           -- string
      | Ref eqOp AnyArg              -- refEquals
      | Ref orderOp NumArg           -- refOrder
      | Ref logicOp BoolArg          -- refLogic

  Ref = Call | pointer | path
  BoolArg = bool | Ref
  NumArg = number | Ref
  StrArg = string | Ref
  AnyArg = string | number | bool | Ref

  Call = name "(" ListOf<Arg, ","> ")"
  Arg = "[" ListOf<AnyArg, ","> "]"  -- array
      | AnyArg

  combiner = "&&" | "||"
  eqOp = "==" | "!="
  orderOp = ">=" | "<=" | ">" | "<"
  numOp = orderOp | eqOp
  logicOp = "&" ~"&"                 -- and
          | "|" ~"|"                 -- or
  boolOp = logicOp | eqOp

  number = "-"? digits
  digits = digit+ ("." digit*)?      -- whole
         | "." digit+                -- fraction
  bool = ("true" | "TRUE" | "false" | "FALSE") ~nameChar
  name = letter nameChar+
  nameChar = alnum | "_" | "."

  string = quoted<"\"", stringStart> | quoted<"'", stringStart>
  pointer = quoted<"\"", "/"> | quoted<"'", "/">
  path = quoted<"\"", "$"> | quoted<"'", "$">
  quoted<q, start> = q start (~q ~"\n" ~"\r" any)* q
  stringStart = ~"/" ~"$" ~"\"" ~"'" ~"\n" ~"\r" any

  space := " " | "\n" | "\r"
}
`;

export const hopeGrammar: ohm.Grammar = ohm.grammar(GRAMMAR);
