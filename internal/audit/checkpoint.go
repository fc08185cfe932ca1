package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoints pin the log. The events form a Merkle tree in the layout of
// golang.org/x/mod/sumdb/tlog (RFC 6962 hashing) whose leaves are
// tlog.RecordHash(event.Hash); a checkpoint is that tree's size and root,
// signed as a note (Ed25519, golang.org/x/mod/sumdb/note). Kept outside the
// database — mailed to the privacy officer, published, printed — a
// checkpoint exposes what the chain alone cannot: events cut off the end of
// the log, or the whole log rewritten after its size was checkpointed.
//
// The note text is the C2SP tlog-checkpoint body:
//
//	<origin>
//	<size, decimal>
//	<root, base64>

// Checkpoint is a verified tree head.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
	Note   []byte // the signed note it was read from
}

// ErrCheckpoint is wrapped by errors about malformed or unverifiable checkpoints.
var ErrCheckpoint = errors.New("invalid audit checkpoint")

// NewCheckpoint signs the tree head (size, root) for origin, a name of this
// log such as "cityid.newhaven.gov/audit".
func NewCheckpoint(signer note.Signer, origin string, size int64, root tlog.Hash) ([]byte, error) {
	if origin == "" || strings.ContainsAny(origin, "\n") || !utf8Printable(origin) {
		return nil, fmt.Errorf("audit: checkpoint origin must be one printable line: %w", ErrCheckpoint)
	}
	if size < 0 {
		return nil, fmt.Errorf("audit: checkpoint size %d is negative: %w", size, ErrCheckpoint)
	}
	text := fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))
	msg, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		return nil, fmt.Errorf("audit: signing checkpoint: %w", err)
	}
	return msg, nil
}

// VerifyCheckpoint checks a signed checkpoint from NewCheckpoint against
// the log's public key and origin, and returns the tree head it signs.
func VerifyCheckpoint(msg []byte, origin string, v note.Verifier) (Checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("audit: checkpoint signature: %v: %w", err, ErrCheckpoint)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 {
		return Checkpoint{}, fmt.Errorf("audit: checkpoint has %d lines, want origin, size and root: %w", len(lines)-1, ErrCheckpoint)
	}
	if lines[0] != origin {
		return Checkpoint{}, fmt.Errorf("audit: checkpoint is for origin %q, want %q: %w", lines[0], origin, ErrCheckpoint)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || lines[1] != strconv.FormatInt(size, 10) {
		return Checkpoint{}, fmt.Errorf("audit: checkpoint size %q is not a decimal count: %w", lines[1], ErrCheckpoint)
	}
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("audit: checkpoint root is not a base64 %d-byte hash: %w", tlog.HashSize, ErrCheckpoint)
	}
	cp := Checkpoint{Origin: origin, Size: size, Note: bytes.Clone(msg)}
	copy(cp.Root[:], root)
	return cp, nil
}

func utf8Printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return false
		}
	}
	return true
}

// Tree computes the Merkle tree head over event hashes as they stream by,
// keeping only O(log n) hashes: the root equals tlog.TreeHash over the same
// leaves without storing the 2n hashes tlog's stored-hash layout needs.
type Tree struct {
	size int64
	// stack holds the roots of complete subtrees, largest first; their
	// sizes are the set bits of size, from high to low.
	stack []tlog.Hash
}

// Add appends an event (its Hash) as the next leaf.
func (t *Tree) Add(eventHash []byte) {
	h := tlog.RecordHash(eventHash)
	// Merge equal-sized subtrees: one per trailing one-bit of size.
	for n := t.size; n&1 == 1; n >>= 1 {
		h = tlog.NodeHash(t.stack[len(t.stack)-1], h)
		t.stack = t.stack[:len(t.stack)-1]
	}
	t.stack = append(t.stack, h)
	t.size++
}

// Size is the number of leaves added.
func (t *Tree) Size() int64 { return t.size }

// Root is the tree hash of the leaves added so far; for an empty tree,
// SHA-256 of nothing, as in RFC 6962 and tlog.TreeHash.
func (t *Tree) Root() tlog.Hash {
	if len(t.stack) == 0 {
		return sha256.Sum256(nil)
	}
	h := t.stack[len(t.stack)-1]
	for i := len(t.stack) - 2; i >= 0; i-- {
		h = tlog.NodeHash(t.stack[i], h)
	}
	return h
}

// VerifyWithCheckpoints is Verify plus checkpoints (verified with
// VerifyCheckpoint, in any order): the tree of the first Size events must
// have each checkpoint's root, and the log must hold at least as many events
// as the largest checkpoint. A rewritten prefix is reported at the
// checkpoint's size (the chain cannot say which event inside it changed), a
// truncated log at its first missing event.
func VerifyWithCheckpoints(next func() (Event, bool, error), checkpoints []Checkpoint) (count int64, p *Problem, err error) {
	roots := map[int64]tlog.Hash{}
	var maxSize int64
	for _, cp := range checkpoints {
		if r, dup := roots[cp.Size]; dup && r != cp.Root {
			return 0, &Problem{Seq: cp.Size, Reason: fmt.Sprintf("two checkpoints of size %d disagree: the log was forked", cp.Size)}, nil
		}
		roots[cp.Size] = cp.Root
		maxSize = max(maxSize, cp.Size)
	}
	if r, ok := roots[0]; ok && r != new(Tree).Root() {
		return 0, &Problem{Seq: 0, Reason: "checkpoint of size 0 has a non-empty root"}, nil
	}
	var c chainCheck
	var tree Tree
	for {
		e, ok, err := next()
		if err != nil {
			return c.count, nil, fmt.Errorf("audit: verify: reading event %d: %w", c.count+1, err)
		}
		if !ok {
			break
		}
		if p := c.check(e); p != nil {
			return c.count, p, nil
		}
		tree.Add(e.Hash)
		if r, ok := roots[tree.Size()]; ok && r != tree.Root() {
			return c.count, &Problem{Seq: tree.Size(), Reason: fmt.Sprintf(
				"events 1 to %d do not match the signed checkpoint of that size: the log was rewritten", tree.Size())}, nil
		}
	}
	if maxSize > c.count {
		return c.count, &Problem{Seq: c.count + 1, Reason: fmt.Sprintf(
			"log truncated: a signed checkpoint covers %d events, the log has %d", maxSize, c.count)}, nil
	}
	return c.count, nil, nil
}
