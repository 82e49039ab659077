/**
 * The log commands app instances and tasks share (`logs`, `tail`, `download`), added to a
 * command group for one kind of log target.
 */
import { Option, type Command } from 'commander';
import { addOutputOptions, intOption, runAction } from './command-context.ts';
import { downloadLog, listLogFiles, tailLog, type LogTarget } from './log-files.ts';

export interface LogSubject {
  /** What the target is called in help texts, with its article: `an instance`, `a task`. */
  noun: string;
  /** The two positional arguments naming it, e.g. `['<appId>', '<instanceId>']`. */
  args: [string, string];
  target(first: string, second: string): LogTarget;
}

/** Adds `logs`, `tail` and `download` for `subject` to `group`. */
export function addLogCommands(group: Command, subject: LogSubject): void {
  const [first, second] = subject.args;
  addOutputOptions(group.command('logs').description(`list the log files of ${subject.noun}`).argument(first).argument(second))
    .action(runAction(async (ctx, [a, b]) => {
      const files = await listLogFiles(ctx, subject.target(a, b));
      if (ctx.structured) return ctx.printData(files);
      if (files.length) ctx.print(files.join('\n'));
      else ctx.note(`No log files for ${subject.target(a, b).label}`);
    }));

  group.command('tail').description(`print the end of a log file of ${subject.noun} and follow it like tail -f (Ctrl-C stops)`).argument(first).argument(second)
    .option('-f, --file <name>', 'log file to follow', 'output.log')
    .addOption(new Option('-n, --lines <n>', 'lines of existing output to show first').argParser(intOption('--lines', 0)).default(10))
    .option('--no-follow', 'print the last lines and exit')
    .action(runAction(async (ctx, [a, b], opts) => {
      await tailLog(ctx, subject.target(a, b), String(opts.file), { lines: Number(opts.lines), follow: opts.follow !== false });
    }));

  group.command('download').description(`download a log file of ${subject.noun}`).argument(first).argument(second).argument('[file]', 'log file name', 'output.log')
    .option('-o, --out <path>', 'file or directory to write to ("-" = stdout); default: the file name here')
    .action(runAction(async (ctx, [a, b, file], opts) => {
      const where = await downloadLog(ctx, subject.target(a, b), file, opts.out as string | undefined);
      if (opts.out !== '-') ctx.note(`Downloaded ${file} to ${where}`);
    }));
}
