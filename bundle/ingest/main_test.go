package ingest

import (
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
	_, err := Run(context.Background(), Options{
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
