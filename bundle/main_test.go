package bundle

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain runs the package's tests, or, when re-executed by a test as a
// child, one ingest (see runChild).
func TestMain(m *testing.M) {
	switch os.Getenv("CORONER_TEST_CHILD") {
	case "":
	case "path":
		os.Exit(runPathChild())
	default:
		os.Exit(runChild())
	}
	code := m.Run()
	if incidentRoot != "" {
		os.RemoveAll(incidentRoot)
	}
	os.Exit(code)
}

// runChild ingests CORONER_TEST_IN into CORONER_TEST_OUT, printing
// "started" on stdout before the first file is hashed and pausing after
// each file when CORONER_TEST_SLOW is set, so a parent can kill it midway.
func runChild() int {
	slow := os.Getenv("CORONER_TEST_SLOW") != ""
	_, err := Ingest(context.Background(), IngestOptions{
		Inputs: []string{os.Getenv("CORONER_TEST_IN")}, Output: os.Getenv("CORONER_TEST_OUT"),
		Log: func(format string, args ...any) {
			if !strings.HasPrefix(format, "writing ") {
				return
			}
			fmt.Println("started")
			if slow {
				time.Sleep(200 * time.Millisecond)
			}
		},
	})
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("ok")
	return 0
}

// runPathChild opens the archive CORONER_TEST_ARCHIVE and asks Path for
// its member CORONER_TEST_MEMBER, after a line on stdin when
// CORONER_TEST_BARRIER is set (so a parent can start several at once). It
// prints "path <path> <inode>" and holds the entry until stdin closes.
func runPathChild() int {
	in := bufio.NewReader(os.Stdin)
	if os.Getenv("CORONER_TEST_BARRIER") != "" {
		in.ReadString('\n')
	}
	a, err := Open(os.Getenv("CORONER_TEST_ARCHIVE"))
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	for _, art := range a.Manifest().Artifacts {
		if art.Path != os.Getenv("CORONER_TEST_MEMBER") {
			continue
		}
		fmt.Println("opened")
		p, err := a.Path(art)
		if err != nil {
			fmt.Println("error:", err)
			return 1
		}
		st, err := os.Stat(p)
		if err != nil {
			fmt.Println("error:", err)
			return 1
		}
		fmt.Println("path", p, inode(st))
		in.ReadString('\n')
		a.Close()
		return 0
	}
	fmt.Println("error: no member", os.Getenv("CORONER_TEST_MEMBER"))
	return 1
}
