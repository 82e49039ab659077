/**
 * `corral completion bash|zsh|fish`: prints a completion script generated from the live commander
 * tree, so every command and option (server roles included) is completed and the script never
 * drifts from the CLI. The scripts walk the words typed so far to find the command path and the
 * positional arguments, skip option values, complete `-c/--cluster` with the configured cluster
 * names, and complete the ids a command takes — apps, instances, task source apps and tasks,
 * operations, executors — by asking the cluster (`corral __complete KIND`, completion-candidates.ts)
 * with the connection options typed before the command. Spec files and download targets complete
 * as file names.
 */
import type { Command, Option } from 'commander';
import { registerCompletionCandidates } from './completion-candidates.ts';
import { EXIT } from './exit-codes.ts';

/** What a positional argument completes to: ids from the cluster, file names, or nothing. */
export type ArgKind = 'app' | 'instance' | 'source' | 'task' | 'operation' | 'executor' | 'file' | 'none';

/** Argument names → kinds, shared by every command (see the commands' `.argument(...)`). */
const ARG_KINDS: Record<string, ArgKind> = {
  appId: 'app',
  instanceId: 'instance',
  instanceIds: 'instance',
  sourceAppName: 'source',
  taskId: 'task',
  taskIds: 'task',
  operationId: 'operation',
  operationIds: 'operation',
  executorId: 'executor',
  executorIds: 'executor',
  specFile: 'file',
};

interface CommandNode {
  path: string;
  words: string[];
  valueOptions: string[];
  /** Kinds of the positional arguments in order; `variadic`: the last one repeats. */
  args: ArgKind[];
  variadic: boolean;
}

const isHidden = (command: Command) => (command as unknown as { _hidden?: boolean })._hidden === true;

/** Flattens the command tree into one node per command path ('' = the program itself). */
export function collectCommandNodes(program: Command): CommandNode[] {
  const nodes: CommandNode[] = [];
  const visit = (command: Command, path: string) => {
    const options = (command.options as readonly Option[]).filter((o) => !o.hidden);
    const flags = options.flatMap((o) => [o.short, o.long].filter((f): f is string => Boolean(f)));
    const subcommands = command.commands.filter((c) => !isHidden(c));
    const words = [...subcommands.flatMap((c) => [c.name(), ...c.aliases()]), ...flags, '--help'];
    if (path === '' && command.commands.length) words.push('help');
    const valueOptions = options.filter((o) => o.required || o.optional).flatMap((o) => [o.short, o.long].filter((f): f is string => Boolean(f)));
    const args = command.registeredArguments.map((a) => ARG_KINDS[a.name()] ?? 'none');
    const variadic = command.registeredArguments.at(-1)?.variadic ?? false;
    nodes.push({ path, words: [...new Set(words)], valueOptions, args, variadic });
    for (const sub of command.commands) {
      if (sub.name() !== '__complete') visit(sub, path ? `${path} ${sub.name()}` : sub.name());
    }
  };
  visit(program, '');
  return nodes;
}

function quote(text: string): string {
  return `"${text.replace(/(["\\$`])/g, '\\$1')}"`;
}

/**
 * The positional arguments that complete to something, as `case` patterns on "path|index": a
 * variadic last argument matches every index from its own on (`path|*`; earlier arms win).
 */
function argKindArms(nodes: CommandNode[]): Array<{ prefix: string; index: string; kind: ArgKind }> {
  return nodes.flatMap((n) => n.args.flatMap((kind, i) => {
    const repeats = i === n.args.length - 1 && n.variadic;
    if (kind === 'none' && !repeats) return [];
    return [{ prefix: `${n.path}|`, index: repeats ? '*' : String(i), kind }];
  }));
}

/** The shell functions bash and zsh share (both accept the same `case` syntax). */
function sharedFunctions(nodes: CommandNode[]): string {
  const wordsCases = nodes.map((n) => `    ${quote(n.path)}) echo ${quote(n.words.join(' '))} ;;`).join('\n');
  const commandCases = nodes.filter((n) => n.path).map((n) => quote(n.path)).join('|');
  const valueCases = nodes.flatMap((n) => n.valueOptions.map((o) => quote(`${n.path}|${o}`))).join('|');
  const kindCases = argKindArms(nodes).map((a) => `    ${quote(a.index === '*' ? a.prefix : a.prefix + a.index)}${a.index === '*' ? '*' : ''}) echo ${a.kind} ;;`).join('\n');
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
}

# What the positional argument number $2 (from 0) of command path $1 completes to.
_corral_arg_kind() {
  case "$1|$2" in
${kindCases}
    *) echo none ;;
  esac
}`;
}

export function bashCompletionScript(program: Command): string {
  return `# corral bash completion.
# Load it now:         source <(corral completion bash)
# Load it every time:  corral completion bash > /etc/bash_completion.d/corral
${sharedFunctions(collectCommandNodes(program))}

_corral() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" word next i kind
  local -a globals=() args=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if [[ "$word" == -* ]]; then
      [[ -z "$path" ]] && globals+=("$word")
      if _corral_takes_value "$path" "$word"; then
        ((i++))
        [[ -z "$path" ]] && globals+=("\${COMP_WORDS[i]}")
      fi
      continue
    fi
    next="\${path:+$path }$word"
    if [[ \${#args[@]} -eq 0 ]] && _corral_is_command "$next"; then path="$next"; else args+=("$word"); fi
  done
  if [[ "$prev" == "-c" || "$prev" == "--cluster" ]]; then
    COMPREPLY=( $(compgen -W "$(corral config get-clusters --quiet 2>/dev/null)" -- "$cur") )
    return 0
  fi
  if _corral_takes_value "$path" "$prev"; then
    COMPREPLY=()
    return 0
  fi
  kind=$(_corral_arg_kind "$path" "\${#args[@]}")
  if [[ "$cur" != -* && "$kind" == file ]]; then
    COMPREPLY=()
    return 0
  fi
  if [[ "$cur" != -* && "$kind" != none ]]; then
    COMPREPLY=( $(compgen -W "$(corral "\${globals[@]}" __complete "$kind" "\${args[0]}" 2>/dev/null)" -- "$cur") )
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
  local cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}" cpath="" word next i kind
  local -a candidates globals args
  for ((i = 2; i < CURRENT; i++)); do
    word="\${words[i]}"
    if [[ "$word" == -* ]]; then
      [[ -z "$cpath" ]] && globals+=("$word")
      if _corral_takes_value "$cpath" "$word"; then
        ((i++))
        [[ -z "$cpath" ]] && globals+=("\${words[i]}")
      fi
      continue
    fi
    next="\${cpath:+$cpath }$word"
    if (( \${#args} == 0 )) && _corral_is_command "$next"; then cpath="$next"; else args+=("$word"); fi
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
  kind=$(_corral_arg_kind "$cpath" "\${#args}")
  if [[ "$cur" != -* && "$kind" == file ]]; then
    _files
    return
  fi
  if [[ "$cur" != -* && "$kind" != none ]]; then
    candidates=(\${(f)"$(corral $globals __complete "$kind" "\${args[1]}" 2>/dev/null)"})
    compadd -- $candidates
    return
  fi
  candidates=(\${=$(_corral_words "$cpath")})
  compadd -- $candidates
  [[ "$cur" == -* ]] || _files
}
compdef _corral corral
`;
}

export function fishCompletionScript(program: Command): string {
  const nodes = collectCommandNodes(program);
  const fishQuote = (text: string) => `'${text.replace(/(['\\])/g, '\\$1')}'`;
  const wordsCases = nodes.map((n) => `        case ${fishQuote(n.path)}\n            printf '%s\\n' ${n.words.map(fishQuote).join(' ')}`).join('\n');
  const commands = nodes.filter((n) => n.path).map((n) => fishQuote(n.path)).join(' ');
  const valueOptions = nodes.flatMap((n) => n.valueOptions.map((o) => fishQuote(`${n.path}|${o}`))).join(' ');
  const globalValueOptions = (nodes.find((n) => n.path === '')?.valueOptions ?? []).map(fishQuote).join(' ');
  const kindCases = argKindArms(nodes).map((a) => `        case ${fishQuote(a.prefix)}${a.index === '*' ? "'*'" : a.index}\n            echo ${a.kind}`).join('\n');
  return `# corral fish completion.
# Load it now:         corral completion fish | source
# Load it every time:  corral completion fish > ~/.config/fish/completions/corral.fish
function __corral_words --argument-names path
    switch $path
${wordsCases}
    end
end

function __corral_is_command --argument-names path
    contains -- $path ${commands}
end

function __corral_takes_value --argument-names path option
    contains -- "$path|$option" ${valueOptions}; or contains -- $option ${globalValueOptions}
end

function __corral_arg_kind --argument-names path index
    switch "$path|$index"
${kindCases}
        case '*'
            echo none
    end
end

function __corral_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l path ''
    set -l globals
    set -l args
    set -l i 2
    while test $i -le (count $tokens)
        set -l word $tokens[$i]
        if string match -q -- '-*' $word
            test -z "$path"; and set globals $globals $word
            if __corral_takes_value "$path" $word
                set i (math $i + 1)
                test -z "$path"; and set globals $globals $tokens[$i]
            end
        else if test (count $args) -eq 0; and __corral_is_command (string trim -- "$path $word")
            set path (string trim -- "$path $word")
        else
            set args $args $word
        end
        set i (math $i + 1)
    end
    set -l prev $tokens[-1]
    if contains -- $prev -c --cluster
        corral config get-clusters --quiet 2>/dev/null
        return
    end
    if __corral_takes_value "$path" $prev
        __fish_complete_path $cur
        return
    end
    set -l kind (__corral_arg_kind "$path" (count $args))
    if not string match -q -- '-*' $cur
        switch $kind
            case file
                __fish_complete_path $cur
                return
            case none
            case '*'
                corral $globals __complete $kind $args[1] 2>/dev/null
                return
        end
    end
    __corral_words "$path"
end
complete -c corral -f -a '(__corral_complete)'
`;
}

const SCRIPTS: Record<string, (program: Command) => string> = { bash: bashCompletionScript, zsh: zshCompletionScript, fish: fishCompletionScript };

export function registerCompletionCommand(program: Command): Command {
  registerCompletionCandidates(program);
  return program.command('completion').description('print a shell completion script: corral completion bash|zsh|fish')
    .argument('<shell>', 'bash, zsh or fish')
    .action((shell: string) => {
      const script = SCRIPTS[shell];
      if (script) process.stdout.write(script(program));
      else {
        process.stderr.write(`corral: no completion for shell "${shell}"; choose bash, zsh or fish\n`);
        process.exit(EXIT.USAGE);
      }
    });
}
