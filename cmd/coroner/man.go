package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func init() {
	register(&cli.Command{
		Name:  "man",
		Usage: "print coroner's manual page (roff, section 1)",
		Description: `Prints the manual page generated from the commands and flags of this binary, so it is
never out of date. make install puts it in PREFIX/share/man/man1; by hand:

   coroner man > coroner.1 && man -l coroner.1

Exit codes: 0 printed; 4 the page could not be generated.`,
		Action: func(c *cli.Context) error {
			page, err := c.App.ToManWithSection(1)
			if err != nil {
				return withCode(exitInternal, fmt.Errorf("man: %w", err))
			}
			_, err = fmt.Fprint(c.App.Writer, page)
			return withCode(exitInternal, err)
		},
	})
}
