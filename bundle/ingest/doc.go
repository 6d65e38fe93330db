// Package ingest turns incident files into an archive (Run): it gathers
// the inputs (directories, files, a tar on standard input; inputs.go),
// expands attachments (.tar, .zip, compressed ones; expand.go), sniffs
// what each file is by its bytes through a table of the reader packages'
// recognizers (sniff.go, and sniff_text.go for text), names the members
// and packs them, identical contents stored once (pack.go), through
// bundle.ArchiveWriter. It also reads one file where it lies, sniffed, as
// a one-artifact source (OpenLoose).
//
// What may import what: cmd/coroner, bundle/capture, analyze and reports
// may import this package; it imports the archive format (bundle) and the
// per-kind readers whose recognizers it tries (bundle/elfcore,
// bundle/elfbin, bundle/perfdata, bundle/pprofdata, bundle/tracefile,
// bundle/servicelog), never the reverse.
package ingest
