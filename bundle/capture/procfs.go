package capture

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// copyFile streams src to dst; /proc files report size 0, so it never
// trusts a stat.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	return nil
}

// captureExe copies the running executable; /proc/PID/exe still reads
// after the file on disk was replaced or deleted.
func captureExe(_ context.Context, t *target, dir string) ([]string, error) {
	dst := filepath.Join(dir, t.exeName())
	err := copyFile(fmt.Sprintf("/proc/%d/exe", t.pid), dst)
	if err != nil && t.cmd != nil {
		// An --exec target that already exited: its file is still where
		// coroner started it from.
		err = copyFile(t.cmd.Path, dst)
	}
	if err != nil {
		return nil, err
	}
	return []string{baseName(dst)}, nil
}

// captureProc copies /proc/PID/{status,limits,maps}.
func captureProc(_ context.Context, t *target, dir string) ([]string, error) {
	var files []string
	for _, n := range []string{"status", "limits", "maps"} {
		dst := filepath.Join(dir, "proc."+n)
		if err := copyFile(fmt.Sprintf("/proc/%d/%s", t.pid, n), dst); err != nil {
			return files, err
		}
		files = append(files, baseName(dst))
	}
	return files, nil
}

// captureKallsyms copies /proc/kallsyms when its addresses are visible;
// with kptr_restrict they read as zero and are worthless offline.
func captureKallsyms(_ context.Context, dir string) ([]string, error) {
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		return nil, skip("/proc/kallsyms not readable: %v", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	first, err := br.ReadBytes('\n')
	if err != nil && len(first) == 0 {
		return nil, skip("/proc/kallsyms is empty")
	}
	if addr, _, _ := bytes.Cut(first, []byte{' '}); len(bytes.Trim(addr, "0")) == 0 {
		lvl, _ := os.ReadFile("/proc/sys/kernel/kptr_restrict")
		return nil, skip("/proc/kallsyms addresses are hidden (kernel.kptr_restrict=%s); kernel frames stay unnamed", bytes.TrimSpace(lvl))
	}
	dst := filepath.Join(dir, "kallsyms")
	out, err := os.Create(dst)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(out, io.MultiReader(bytes.NewReader(first), br))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("copying /proc/kallsyms: %w", err)
	}
	return []string{baseName(dst)}, nil
}

// captureEnv stores the environment only when asked: it may hold secrets.
func captureEnv(_ context.Context, t *target, dir string, want bool) ([]string, error) {
	if !want {
		return nil, skip("not requested (--with-env); the environment may hold secrets")
	}
	if len(t.env) == 0 {
		return nil, fmt.Errorf("/proc/%d/environ was not readable", t.pid)
	}
	dst := filepath.Join(dir, "environ")
	if err := os.WriteFile(dst, t.env, 0o600); err != nil {
		return nil, err
	}
	return []string{baseName(dst)}, nil
}

// baseName is the name a staged file has inside the staging directory.
func baseName(p string) string { return filepath.Base(p) }
