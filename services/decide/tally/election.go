package tally

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Election is a vote with its ballots, as a ballot file holds it. Its JSON
// form is WriteJSON's (FORMATS.md), not json.Marshal's.
type Election struct {
	Title string
	// Date (YYYY-MM-DD, optional) is written as PrefLib's publication and
	// modification dates.
	Date    string
	Vote    Vote
	Ballots []Ballot
}

// Bounds on what a reader accepts: files are untrusted input.
const (
	// MaxFileSize bounds a ballot file, in bytes: 100,000 ballots ranking
	// 20 options take about 6 MiB as PrefLib, 10 MiB as JSON. What a file
	// decodes to takes at most a few times its size in memory.
	MaxFileSize = 32 << 20
	// MaxLineLen bounds one line of a PrefLib file, in bytes (64 options
	// written with braces and commas take under 400, a header line with a
	// name of MaxNameLen about 1,030).
	MaxLineLen = 4 << 10
	// MaxBallots bounds the ballots (PrefLib lines, JSON ballots) of one
	// file.
	MaxBallots = 1_000_000
)

// ErrFormat is wrapped by every error about a ballot file that cannot be
// read; the message names the line (PrefLib, JSON syntax) or the ballot.
var ErrFormat = errors.New("bad ballot file")

// ErrTooLarge is wrapped when a file passes MaxFileSize.
var ErrTooLarge = errors.New("ballot file too large")

// Read reads a ballot file in either format: by the name's extension
// (.json; .soc, .soi, .toc, .toi, .cat) when it has one of them, else by
// its first byte ('{' is JSON, '#' PrefLib). The election read is valid:
// every ballot fits its vote.
func Read(r io.Reader, name string) (*Election, error) {
	ext := strings.TrimPrefix(strings.ToLower(path.Ext(name)), ".")
	switch ext {
	case "json":
		return ReadJSON(r)
	case "soc", "soi", "toc", "toi", "cat":
		return ReadPrefLib(r, ext)
	}
	br := bufio.NewReader(r)
	for {
		c, err := br.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("%w: empty file", ErrFormat)
		}
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			continue
		}
		if err := br.UnreadByte(); err != nil {
			return nil, err
		}
		switch c {
		case '{':
			return ReadJSON(br)
		case '#':
			return ReadPrefLib(br, "")
		}
		return nil, fmt.Errorf("%w: neither JSON nor PrefLib (name it .json, .soc, .soi, .toc, .toi or .cat)", ErrFormat)
	}
}

// readAll reads at most MaxFileSize bytes.
func readAll(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read ballots: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxFileSize)
	}
	return data, nil
}

// lineOf is the 1-based line of a byte offset.
func lineOf(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}
