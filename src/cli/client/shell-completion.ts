/**
 * `corral completion bash|zsh`: prints a completion script generated from the live commander
 * tree, so every command and option (server roles included) is completed and the script never
 * drifts from the CLI. The scripts walk the words typed so far to find the command path,
 * skip option values, complete `-c/--cluster` with the configured cluster names, and fall back
 * to file names for arguments (spec files, download targets).
 */
import type { Command, Option } from 'commander';
import { EXIT } from './exit-codes.ts';

interface CommandNode {
  path: string;
  words: string[];
  valueOptions: string[];
}

/** Flattens the command tree into one node per command path ('' = the program itself). */
export function collectCommandNodes(program: Command): CommandNode[] {
  const nodes: CommandNode[] = [];
  const visit = (command: Command, path: string) => {
    const options = (command.options as readonly Option[]).filter((o) => !o.hidden);
    const flags = options.flatMap((o) => [o.short, o.long].filter((f): f is string => Boolean(f)));
    const subcommands = command.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
    const words = [...subcommands.flatMap((c) => [c.name(), ...c.aliases()]), ...flags, '--help'];
    if (path === '' && command.commands.length) words.push('help');
    const valueOptions = options.filter((o) => o.required || o.optional).flatMap((o) => [o.short, o.long].filter((f): f is string => Boolean(f)));
    nodes.push({ path, words: [...new Set(words)], valueOptions });
    for (const sub of command.commands) visit(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  visit(program, '');
  return nodes;
}

function quote(text: string): string {
  return `"${text.replace(/(["\\$`])/g, '\\$1')}"`;
}

/** The shell functions both scripts share (bash and zsh accept the same `case` syntax). */
function sharedFunctions(nodes: CommandNode[]): string {
  const wordsCases = nodes.map((n) => `    ${quote(n.path)}) echo ${quote(n.words.join(' '))} ;;`).join('\n');
  const commandCases = nodes.filter((n) => n.path).map((n) => quote(n.path)).join('|');
  const valueCases = nodes.flatMap((n) => n.valueOptions.map((o) => quote(`${n.path}|${o}`))).join('|');
  return `_corral_words() {
  case "$1" in
${wordsCases}
  esac
}

_corral_is_command() {
  case "$1" in
    ${commandCases || '"-"'}) return 0 ;;
  esac
  return 1
}

# Option that takes a value, looked up on the command path and on the program (global options).
_corral_takes_value() {
  case "$1|$2" in
    ${valueCases || '"-"'}) return 0 ;;
  esac
  case "|$2" in
    ${nodes.find((n) => n.path === '')?.valueOptions.map((o) => quote(`|${o}`)).join('|') || '"-"'}) return 0 ;;
  esac
  return 1
}`;
}

export function bashCompletionScript(program: Command): string {
  return `# corral bash completion.
# Load it now:         source <(corral completion bash)
# Load it every time:  corral completion bash > /etc/bash_completion.d/corral
${sharedFunctions(collectCommandNodes(program))}

_corral() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" word next i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if [[ "$word" == -* ]]; then
      if _corral_takes_value "$path" "$word"; then ((i++)); fi
      continue
    fi
    next="\${path:+$path }$word"
    if _corral_is_command "$next"; then path="$next"; fi
  done
  if [[ "$prev" == "-c" || "$prev" == "--cluster" ]]; then
    COMPREPLY=( $(compgen -W "$(corral config get-clusters --quiet 2>/dev/null)" -- "$cur") )
    return 0
  fi
  if _corral_takes_value "$path" "$prev"; then
    COMPREPLY=()
    return 0
  fi
  COMPREPLY=( $(compgen -W "$(_corral_words "$path")" -- "$cur") )
}
complete -o default -F _corral corral
`;
}

export function zshCompletionScript(program: Command): string {
  return `#compdef corral
# corral zsh completion (after compinit).
# Load it now:         source <(corral completion zsh)
# Load it every time:  corral completion zsh > "\${fpath[1]}/_corral"
${sharedFunctions(collectCommandNodes(program))}

_corral() {
  local cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}" cpath="" word next i
  local -a candidates
  for ((i = 2; i < CURRENT; i++)); do
    word="\${words[i]}"
    if [[ "$word" == -* ]]; then
      if _corral_takes_value "$cpath" "$word"; then ((i++)); fi
      continue
    fi
    next="\${cpath:+$cpath }$word"
    if _corral_is_command "$next"; then cpath="$next"; fi
  done
  if [[ "$prev" == "-c" || "$prev" == "--cluster" ]]; then
    candidates=(\${(f)"$(corral config get-clusters --quiet 2>/dev/null)"})
    compadd -- $candidates
    return
  fi
  if _corral_takes_value "$cpath" "$prev"; then
    _files
    return
  fi
  candidates=(\${=$(_corral_words "$cpath")})
  compadd -- $candidates
  [[ "$cur" == -* ]] || _files
}
compdef _corral corral
`;
}

export function registerCompletionCommand(program: Command): Command {
  return program.command('completion').description('print a shell completion script: corral completion bash|zsh')
    .argument('<shell>', 'bash or zsh')
    .action((shell: string) => {
      if (shell === 'bash') process.stdout.write(bashCompletionScript(program));
      else if (shell === 'zsh') process.stdout.write(zshCompletionScript(program));
      else {
        process.stderr.write(`corral: no completion for shell "${shell}"; choose bash or zsh\n`);
        process.exit(EXIT.USAGE);
      }
    });
}
