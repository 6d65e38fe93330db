package gocore

import "debug/elf"

// exeLoad is an executable being opened and read for the census (its
// runtime layouts and symbolizer, exeLayout) on a goroutine of its own:
// reading its DWARF takes about as long as parsing the core's headers and
// notes, which the census does meanwhile.
type exeLoad struct {
	done     chan struct{}
	ef       *elf.File
	l        *layout
	sym      *symbolizer
	closeSym func()
	err      error
}

// loadExe starts loading the executable at exePath.
func loadExe(exePath string) *exeLoad {
	e := &exeLoad{done: make(chan struct{})}
	go func() {
		defer close(e.done)
		ef, err := elf.Open(exePath)
		if err != nil {
			e.err = err
			return
		}
		l, sym, closeSym, err := exeLayout(ef, exePath)
		if err != nil {
			ef.Close()
			e.err = err
			return
		}
		e.ef, e.l, e.sym, e.closeSym = ef, l, sym, closeSym
	}()
	return e
}

// wait waits for the load and says why it failed.
func (e *exeLoad) wait() error {
	<-e.done
	return e.err
}

// close waits for the load and releases what it opened.
func (e *exeLoad) close() {
	<-e.done
	if e.closeSym != nil {
		e.closeSym()
	}
	if e.ef != nil {
		e.ef.Close()
	}
}
