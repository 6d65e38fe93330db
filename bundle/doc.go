// Package bundle is coroner's incident archive format: one zstd-compressed
// tar whose first member is the manifest (manifest.json, what the archive
// holds), whose last is the trailer (trailer.json, every member's
// SHA-256), cut into independent zstd frames and ended by a seal (the
// SHA-256 of every frame's SHA-256). It writes archives (ArchiveWriter,
// through an AtomicFile), reads, verifies and extracts them, keeps the
// extraction cache, and owns coroner's temporaries (SweepLeftovers,
// TempStage). It also holds the decompressors for attachments
// (Decompress): it is the only package that links a zstd library.
//
// Reading a member goes through one family of readers:
//
//   - MemberReaderAt reads one member at any offset (io.ReaderAt),
//     decoding only the frames that hold the bytes asked for;
//   - sequentialMemberReader reads one member from start to end, decoding
//     the next frame while the current one is read (Archive.Open);
//   - checkedMemberReader wraps either and checks the member's SHA-256
//     when it is read to the end;
//   - frameReader, under the first two, reads the archive's decoded tar
//     stream at any offset through the frameIndex (frameindex.go),
//     keeping the latest decoded frames;
//   - wholeArchiveReader decodes the archive from its start as one tar
//     stream: for the manifest, for Verify and Extract, and for archives
//     whose frames cannot be read one at a time.
//
// What may import what: cmd/coroner → bundle/capture, analyze, reports →
// bundle/ingest (collecting and sniffing inputs, packing them) → the
// per-kind readers (bundle/elfcore, bundle/perfdata, …) → bundle. This
// package imports none of coroner's packages.
package bundle
