/**
 * Exit codes of the client CLI, one per class of failure, so scripts can tell "the cluster said
 * no" from "the cluster was not there" without parsing stderr. Documented in docs/cli.md and in
 * the `corral --help` epilog (both generated from EXIT_CODE_HELP so they cannot drift apart).
 */

export const EXIT = {
  /** Everything worked (for `--wait`: the operation ended COMPLETED). */
  OK: 0,
  /** The controller rejected or failed the request (validation errors, FAILED envelope, 5xx). */
  FAILED: 1,
  /** Bad command line: unknown command or option, missing or invalid argument. */
  USAGE: 2,
  /** No controller answered at the endpoint(s): connection refused, DNS, TLS or timeout. */
  UNREACHABLE: 3,
  /** The controller refused the credentials (HTTP 401). */
  UNAUTHORIZED: 4,
  /** The credentials are valid but the role does not allow this request (HTTP 403). */
  FORBIDDEN: 5,
  /** The endpoint(s) answered but none is the leader controller (followers only). */
  NOT_LEADER: 6,
  /** The app, instance, task, executor, operation or log file does not exist. */
  NOT_FOUND: 7,
  /** Local input is unusable: spec file missing or neither JSON nor YAML, bad config file, no endpoint configured. */
  BAD_INPUT: 8,
  /** `--wait` / `ops watch`: the operation ended FAILED, CANCELLED or TIMED_OUT. */
  OPERATION_NOT_COMPLETED: 9,
  /** Interrupted with Ctrl-C (128 + SIGINT, as shells report it). */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** One line per code, used for `corral --help` and docs/cli.md. */
export const EXIT_CODE_HELP: ReadonlyArray<readonly [ExitCode, string]> = [
  [EXIT.OK, 'success (with --wait: the operation COMPLETED)'],
  [EXIT.FAILED, 'the controller rejected or failed the request'],
  [EXIT.USAGE, 'bad command line (unknown command/option, missing argument)'],
  [EXIT.UNREACHABLE, 'no controller reachable at the endpoint(s)'],
  [EXIT.UNAUTHORIZED, 'wrong or missing credentials (HTTP 401)'],
  [EXIT.FORBIDDEN, 'role not allowed to do this (HTTP 403)'],
  [EXIT.NOT_LEADER, 'endpoint(s) reachable but none is the leader'],
  [EXIT.NOT_FOUND, 'no such app, instance, task, executor, operation or file (the error says what exists)'],
  [EXIT.BAD_INPUT, 'local input unusable (spec file, config file, no endpoint)'],
  [EXIT.OPERATION_NOT_COMPLETED, 'waited operation ended FAILED, CANCELLED or TIMED_OUT'],
  [EXIT.INTERRUPTED, 'interrupted (Ctrl-C)'],
];

/**
 * The one error type commands throw. `run-action` prints `message` (and each of `details` as
 * an indented line) to stderr and exits with `exitCode`; nothing else reaches the user.
 */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  readonly details: string[];
  constructor(exitCode: ExitCode, message: string, details: string[] = []) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.details = details;
  }
}

/** Renders the exit-code table as aligned text lines. */
export function exitCodeLines(indent = '  '): string[] {
  return EXIT_CODE_HELP.map(([code, text]) => `${indent}${String(code).padStart(3)}  ${text}`);
}
