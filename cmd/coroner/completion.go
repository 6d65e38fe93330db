package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"
)

// completionFlag is the hidden flag with which urfave/cli answers a shell's
// completion request: the words typed so far, then this flag.
const completionFlag = "--generate-bash-completion"

// bashCompletion asks coroner itself for the candidates, so completions
// follow the installed binary's commands and flags. It is urfave/cli's
// bash_autocomplete with the program name fixed; an empty answer falls
// back to file names (archives, perf.data, profiles).
const bashCompletion = `# bash completion for coroner                              -*- shell-script -*-
_coroner_init_completion() {
  COMPREPLY=()
  _get_comp_words_by_ref "$@" cur prev words cword
}

_coroner() {
  local cur opts words cword
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  if declare -F _init_completion >/dev/null 2>&1; then
    _init_completion -n "=:" || return
  elif declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
    _coroner_init_completion -n "=:" || return
  else
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
  fi
  words=("${words[@]:0:$cword}")
  if [[ "$cur" == "-"* ]]; then
    opts=$("${words[@]}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    opts=$("${words[@]}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "${opts}" -- "${cur}"))
  return 0
}

complete -o bashdefault -o default -o nospace -F _coroner coroner
`

// zshCompletion is urfave/cli's zsh_autocomplete with the program name
// fixed, for a file named _coroner on $fpath.
const zshCompletion = `#compdef coroner

_coroner() {
  local -a opts
  local cur
  cur=${words[-1]}
  if [[ "$cur" == "-"* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ${cur} --generate-bash-completion 2>/dev/null)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion 2>/dev/null)}")
  fi

  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}

if [[ "$funcstack[1]" == "_coroner" ]]; then
  _coroner "$@"
else
  compdef _coroner coroner
fi
`

func init() {
	register(&cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Description: `Prints a completion script for coroner's commands and flags on stdout. make install puts
them where the shells look; by hand:

   coroner completion bash > ~/.local/share/bash-completion/completions/coroner
   coroner completion zsh > "${fpath[1]}/_coroner"
   coroner completion fish > ~/.config/fish/completions/coroner.fish

Exit codes: 0 printed; 2 no or an unknown shell.`,
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, 1, "shell: bash, zsh or fish"); err != nil {
				return err
			}
			err := writeCompletion(c.App, c.Args().First(), c.App.Writer)
			var ee *exitError
			if errors.As(err, &ee) {
				return err
			}
			return withCode(exitInternal, err)
		},
	})
}

// writeCompletion writes the completion script for shell.
func writeCompletion(app *cli.App, shell string, w io.Writer) error {
	var script string
	switch shell {
	case "bash":
		script = bashCompletion
	case "zsh":
		script = zshCompletion
	case "fish":
		s, err := app.ToFishCompletion()
		if err != nil {
			return fmt.Errorf("completion fish: %w", err)
		}
		script = s
	default:
		return withCode(exitUsage, fmt.Errorf("completion: unknown shell %q: want bash, zsh or fish", shell))
	}
	_, err := io.WriteString(w, script)
	return err
}
