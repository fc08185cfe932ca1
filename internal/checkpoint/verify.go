package checkpoint

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/store"
)

// stream turns the store's WalkAudit callback into the pull-style next
// function audit.Verify takes, streaming the log in constant memory.
type stream struct {
	events chan audit.Event
	err    error // set before events is closed
	cancel context.CancelFunc
}

func walk(ctx context.Context, db *store.DB) *stream {
	ctx, cancel := context.WithCancel(ctx)
	st := &stream{events: make(chan audit.Event, 256), cancel: cancel}
	go func() {
		defer close(st.events)
		st.err = db.WalkAudit(ctx, func(e audit.Event) error {
			select {
			case st.events <- e:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	return st
}

// next returns the next event; a failed walk is an error, never a short log.
func (st *stream) next() (audit.Event, bool, error) {
	e, ok := <-st.events
	if !ok && st.err != nil {
		return e, false, st.err
	}
	return e, ok, nil
}

// stop ends the walk and waits for it.
func (st *stream) stop() {
	st.cancel()
	for range st.events {
	}
}

// verifiedStored opens every stored checkpoint with the log's verifier. A
// row that does not verify, or whose root column disagrees with its signed
// note, is a problem: someone with database access altered it.
func verifiedStored(ctx context.Context, db *store.DB, origin string, v note.Verifier) ([]audit.Checkpoint, *audit.Problem, error) {
	rows, err := db.AuditCheckpoints(ctx)
	if err != nil {
		return nil, nil, err
	}
	out := make([]audit.Checkpoint, 0, len(rows))
	for _, r := range rows {
		cp, err := audit.VerifyCheckpoint(r.Note, origin, v)
		if err != nil {
			return nil, &audit.Problem{Seq: r.Size, Reason: fmt.Sprintf("stored checkpoint of size %d does not verify (%v): it was forged or altered", r.Size, err)}, nil
		}
		if cp.Size != r.Size || !bytes.Equal(cp.Root[:], r.Root) {
			return nil, &audit.Problem{Seq: r.Size, Reason: fmt.Sprintf("stored checkpoint of size %d disagrees with its signed note", r.Size)}, nil
		}
		out = append(out, cp)
	}
	return out, nil, nil
}

// Report is the outcome of VerifyLog.
type Report struct {
	Events      int64          // events checked as intact
	Checkpoints int            // signed checkpoints the log was checked against
	Latest      int64          // the largest checkpoint size, 0 when none
	Problem     *audit.Problem // the first problem, nil when all is well
}

// VerifyLog checks the hash chain from the first event and checks it
// against every checkpoint stored in the database plus external ones (from
// an Export kept elsewhere, already verified with ParseExport). It reports
// the first altered, missing or reordered event, a log cut short of a
// checkpoint, or history rewritten consistently with itself but not with a
// signed checkpoint. progress, when not nil, is called with each event count.
func VerifyLog(ctx context.Context, db *store.DB, external []audit.Checkpoint, progress func(int64)) (Report, error) {
	var r Report
	cps := external
	pub, err := LoadPublic(ctx, db)
	switch {
	case errors.Is(err, ErrNoKey):
		rows, err := db.AuditCheckpoints(ctx)
		if err != nil {
			return r, err
		}
		if len(rows) > 0 {
			r.Problem = &audit.Problem{Seq: rows[0].Size, Reason: "checkpoints are stored but the checkpoint key record is gone: it was removed"}
			return r, nil
		}
	case err != nil:
		return r, err
	default:
		stored, p, err := verifiedStored(ctx, db, pub.Origin, pub.Verifier)
		if err != nil {
			return r, err
		}
		if p != nil {
			r.Problem = p
			return r, nil
		}
		cps = append(cps, stored...)
	}
	r.Checkpoints = len(cps)
	for _, c := range cps {
		r.Latest = max(r.Latest, c.Size)
	}
	st := walk(ctx, db)
	defer st.stop()
	var n int64
	r.Events, r.Problem, err = audit.VerifyWithCheckpoints(func() (audit.Event, bool, error) {
		e, ok, err := st.next()
		if ok && progress != nil {
			n++
			progress(n)
		}
		return e, ok, err
	}, cps)
	return r, err
}
