package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"

	"github.com/coroner/coroner/internal/version"
)

func init() {
	register(&cli.Command{
		Name:  "version",
		Usage: "print coroner's version, Go version and the library versions that bound what it can read",
		Action: func(c *cli.Context) error {
			fmt.Fprintf(c.App.Writer, "coroner %s (%s, %s/%s)\n", version.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, d := range bi.Deps {
					switch d.Path {
					case "github.com/go-delve/delve", "github.com/google/pprof", "github.com/klauspost/compress", "golang.org/x/exp":
						fmt.Fprintf(c.App.Writer, "  %s %s\n", d.Path, d.Version)
					}
				}
			}
			return nil
		},
	})
}
