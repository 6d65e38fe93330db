package ingest

import (
	"os/signal"
	"syscall"
)

func ignoreSIGXFSZ() { signal.Ignore(syscall.SIGXFSZ) }
