// Package servicelog finds the Go runtime's own output inside a service's
// text log: the crash or SIGQUIT traceback near its end and the
// GODEBUG=gctrace=1 lines anywhere in it, among the application's own
// lines (JSON, logfmt, plain text), which are left as noise.
//
// A log comes as the service wrote it, or wrapped line by line by what
// collected it. Glossary:
//
//   - raw line: one line of the file as stored (a CRI record, a Docker
//     json-file object, a journal entry, a syslog message).
//   - payload: what the service itself wrote to its stdout or stderr,
//     unwrapped from a raw line; a payload line may be joined from several
//     raw lines (CRI "P" records, Docker's 16 KiB fragments).
//   - Format: how raw lines wrap payloads; Detect tells it from the head.
//   - Lines: the payload lines of a raw stream, one at a time.
//   - Locator: fed payload lines, it counts gctrace lines and delimits
//     tracebacks; Found is what it saw, Traceback the last crash.
//   - Find reads only the tail of a file (the last MiB, further back up to
//     TailBytes while the last traceback is not whole); Survey reads all
//     of the last TailBytes, to count every traceback; Scan reads a stream
//     whole; NewReader gives the payload of a stream as an io.Reader.
//
// A per-kind reader: of coroner's packages it imports only bundle/gctrace;
// bundle/ingest sniffs logs with Detect and Survey.
package servicelog
