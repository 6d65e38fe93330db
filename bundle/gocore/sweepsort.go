package gocore

import (
	"cmp"
	"math/bits"
	"slices"

	"github.com/coroner/coroner/internal/hugepages"
)

// radixSortMin is the number of reads from which sortBase sorts by radix:
// a comparison sort of a million entries calls the comparison some
// twenty million times, where a radix sort makes three passes over them. Below a few thousand entries, clearing and summing the passes'
// 2048 counts costs about what the comparisons do.
const radixSortMin = 1 << 12

// radixBits is the width of one radix digit: a pass scatters the entries
// to 2^radixBits places at once, and 2048 of them (with their 16 KiB of
// counts) stay in the caches where 65536 did not. A heap of a few GiB
// (8-byte aligned, so its low 3 bits never differ) takes three passes.
// On a million reads over 4 GiB (BenchmarkSortBase), when a read took 40
// bytes: 11 bits 73 ms, 8 bits 81 ms, 13 bits 77 ms, 16 bits 122 ms; the
// comparison sort 268 ms. Packed into 16 bytes (baseRead), 11 bits take
// 37 ms.
const radixBits = 11

// sortBase sorts the reads pushed before the first pop by address, then
// push order. They were appended in push order, so a stable sort by
// address alone gives that order.
func sortBase(base []baseRead) []baseRead {
	if len(base) < radixSortMin {
		slices.SortStableFunc(base, func(a, b baseRead) int { return cmp.Compare(a.addr, b.addr) })
		return base
	}
	first := base[0].addr
	lo, hi := first, first
	var differ uint64 // the bits in which some address differs from the first
	for i := range base {
		a := base[i].addr
		lo, hi, differ = min(lo, a), max(hi, a), differ|(a^first)
	}
	if differ == 0 {
		return base // one address throughout: in push order already
	}
	// Low bits in which no address differs (alignment) are the same in
	// every offset from lo too, and need no pass.
	shift := uint(bits.TrailingZeros64(differ))
	width := uint(bits.Len64(hi-lo)) - shift
	tmp := make([]baseRead, len(base))
	hugepages.Advise(tmp)
	src, dst := base, tmp
	var count [1 << radixBits]int
	for pass := uint(0); pass < width; pass += radixBits {
		clear(count[:])
		at := shift + pass
		for i := range src {
			count[digit(src[i].addr, lo, at)]++
		}
		sum := 0
		for d, n := range count {
			count[d] = sum
			sum += n
		}
		for i := range src {
			d := digit(src[i].addr, lo, at)
			dst[count[d]] = src[i]
			count[d]++
		}
		src, dst = dst, src
	}
	return src
}

// digit is the radix digit of addr's offset from lo at bit at.
func digit(addr, lo uint64, at uint) uint64 {
	return (addr - lo) >> at & (1<<radixBits - 1)
}
