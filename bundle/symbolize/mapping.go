package symbolize

import "debug/elf"

// pageSizes are the page sizes a Linux kernel maps ELF segments with: 4 KiB
// (x86-64, and arm64's default), 16 KiB and 64 KiB (arm64 options).
var pageSizes = []uint64{4 << 10, 16 << 10, 64 << 10}

// FitsMapping reports whether an executable mapping of pgoff and size bytes
// is one of this binary's executable segments as the kernel maps it:
// load_elf_binary's elf_map maps p_filesz plus the page offset of p_vaddr,
// rounded up to whole pages, from p_offset rounded down to a page. Two
// builds of a program at the same path rarely agree on both, so this tells
// which of them a process ran when perf recorded only the path.
func (b *Binary) FitsMapping(pgoff, size uint64) bool {
	for _, p := range b.loads {
		if p.Flags&elf.PF_X == 0 {
			continue
		}
		for _, ps := range pageSizes {
			in := p.Vaddr % ps
			if p.Off < in || p.Off-in != pgoff {
				continue
			}
			if (p.Filesz+in+ps-1)/ps*ps == size {
				return true
			}
		}
	}
	return false
}
