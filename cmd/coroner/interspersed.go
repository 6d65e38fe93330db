package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// interspersed moves a subcommand's flags written after its positional
// arguments ("coroner crash INC.tar.zst --json") in front of them, where
// urfave/cli v2 looks for them; it stops parsing flags at the first
// positional argument otherwise. Everything after "--" is left untouched,
// so "collect --exec -- CMD -flag" still hands "-flag" to CMD.
func interspersed(app *cli.App, args []string) []string {
	if len(args) < 2 || args[len(args)-1] == completionFlag {
		// A completion request is answered from the words as typed.
		return args
	}
	// Skip global flags to find the subcommand.
	i := 1
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "-" && args[i] != "--" {
		if takesValue(app.Flags, args[i]) {
			i++
		}
		i++
	}
	if i >= len(args) {
		return args
	}
	cmd := app.Command(args[i])
	if cmd == nil || hasSubcommands(cmd) {
		return args
	}
	var flags, positional, tail []string
	rest := args[i+1:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		switch {
		case a == "--":
			tail = append([]string{"--"}, rest[j+1:]...)
			j = len(rest)
		case strings.HasPrefix(a, "-") && a != "-":
			flags = append(flags, a)
			if takesValue(cmd.Flags, a) && j+1 < len(rest) {
				j++
				flags = append(flags, rest[j])
			}
		default:
			positional = append(positional, a)
		}
	}
	out := append([]string{}, args[:i+1]...)
	out = append(out, flags...)
	if len(tail) > 0 {
		// Positionals before "--" stay before it.
		out = append(out, "--")
		out = append(out, positional...)
		return append(out, tail[1:]...)
	}
	return append(out, positional...)
}

// takesValue reports whether arg ("-o", "--output", not "--output=x") names
// one of flags that consumes the next argument as its value.
func takesValue(flags []cli.Flag, arg string) bool {
	name := strings.TrimLeft(arg, "-")
	if strings.Contains(name, "=") {
		return false
	}
	for _, f := range flags {
		for _, n := range f.Names() {
			if n != name {
				continue
			}
			if tv, ok := f.(interface{ TakesValue() bool }); ok {
				return tv.TakesValue()
			}
			return true
		}
	}
	return false
}

// hasSubcommands reports whether cmd has subcommands of its own; the CLI
// library adds a "help" subcommand to every command it has run, which does
// not count.
func hasSubcommands(cmd *cli.Command) bool {
	for _, s := range cmd.Subcommands {
		if s.Name != "help" {
			return true
		}
	}
	return false
}
