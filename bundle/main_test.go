package bundle

import (
	"bufio"
	"fmt"
	"os"
	"testing"
)

// TestMain runs the package's tests, or, when re-executed by a test as a
// child, one Path (see runPathChild).
func TestMain(m *testing.M) {
	switch os.Getenv("CORONER_TEST_CHILD") {
	case "":
	case "path":
		os.Exit(runPathChild())
	}
	os.Exit(m.Run())
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
