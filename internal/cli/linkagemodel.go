package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/dedup"
)

// cmdLinkageModel manages the duplicate-detection model learned from
// supervisors' decisions.
func cmdLinkageModel(ctx context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "linkage model", "linkage model [--data DIR] [--db URL] estimate|calibrate|list|activate VERSION|rollback|import FILE",
		"Learn duplicate detection from supervisors' decisions on possible duplicates.\n"+
			"  estimate          re-estimate the model from the decisions: three quarters train it, the\n"+
			"                    rest (never trained on) test it; it becomes the active version unless it\n"+
			"                    scores worse there than the active model (then it is stored as refused\n"+
			"                    and the active model kept). The percentages reviewers see are then\n"+
			"                    calibrated to the decisions, if that makes them truer on the held-out\n"+
			"                    ones; if the new model is refused, the active one is calibrated so.\n"+
			"                    Prints the report as JSON.\n"+
			"  calibrate         calibrate the active model's percentages to the decisions, without\n"+
			"                    re-estimating it: kept as a new active version if they come out truer\n"+
			"                    on the held-out decisions (it flags exactly the same pairs)\n"+
			"  list              the stored versions, their held-out precision and recall, whether the\n"+
			"                    figures they show are calibrated, which is active\n"+
			"  activate VERSION  make a stored version active (0: the built-in model)\n"+
			"  rollback          go back to the version active before the current one\n"+
			"  import FILE       store a model file as a new version (refused if it does not load)\n"+
			"Running servers switch to the active version within seconds. Administrators can list,\n"+
			"estimate, activate and roll back on the staff site too: Duplicate detection model\n"+
			"(/staff/admin/model).")
	data := addDataFlags(fs, "", true)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 1 {
		fs.Usage()
		return errUsage
	}
	verb, rest := fs.Arg(0), fs.Args()[1:]
	want := map[string]int{"estimate": 0, "calibrate": 0, "list": 0, "activate": 1, "rollback": 0, "import": 1}
	n, ok := want[verb]
	if !ok || len(rest) != n {
		fmt.Fprintf(stdio.Err, "cityid linkage model: want estimate, calibrate, list, activate VERSION, rollback or import FILE\n")
		return errUsage
	}
	a, err := data.open(ctx, app.Options{Screening: verb != "list"})
	if err != nil {
		return err
	}
	defer a.Close()
	by, now := auth.System(), a.Now()
	switch verb {
	case "estimate":
		rep, err := a.Screener.Estimate(ctx, a.Enroll, by, now)
		if rep.Decisions > 0 || rep.Version > 0 {
			b, _ := json.Marshal(rep)
			fmt.Fprintln(stdio.Out, string(b))
		}
		if errors.Is(err, dedup.ErrRefused) && rep.Version > 0 {
			fmt.Fprintf(stdio.Err, "linkage model: version %d refused: held-out precision %.3f recall %.3f, against the active model's %.3f / %.3f, on %d decisions it did not train on\n",
				rep.Version, rep.Candidate.Precision, rep.Candidate.Recall, rep.Previous.Precision, rep.Previous.Recall, rep.HeldOut)
			if rep.ActiveCalibrated > 0 {
				fmt.Fprintf(stdio.Err, "linkage model: the active model, calibrated to the decisions, is now version %d: it flags the same pairs, and the figures shown are truer (held-out Brier score %.4f; %.4f before)\n",
					rep.ActiveCalibrated, rep.ActiveCalibratedBrier, rep.Previous.Brier)
			}
		}
		if err != nil {
			return fmt.Errorf("linkage model estimate: %w", err)
		}
		fmt.Fprintf(stdio.Err, "linkage model: version %d active; held-out precision %.3f recall %.3f (was %.3f / %.3f) on %d decisions it did not train on\n",
			rep.Version, rep.Candidate.Precision, rep.Candidate.Recall, rep.Previous.Precision, rep.Previous.Recall, rep.HeldOut)
		printCalibration(stdio.Err, rep)
	case "calibrate":
		rep, err := a.Screener.CalibrateActive(ctx, a.Enroll, by, now)
		if rep.Decisions > 0 {
			b, _ := json.Marshal(rep)
			fmt.Fprintln(stdio.Out, string(b))
		}
		if err != nil {
			return fmt.Errorf("linkage model calibrate: %w", err)
		}
		fmt.Fprintf(stdio.Err, "linkage model: version %d active: the model that was active, calibrated to the decisions; it flags the same pairs (held-out Brier score %.4f; %.4f before)\n",
			rep.Version, rep.Candidate.Brier, rep.UncalibratedBrier)
		printCalibration(stdio.Err, rep)
	case "list":
		ms, err := dedup.ListModels(ctx, a.DB)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tCREATED\tSOURCE\tTRAINED\tHELD OUT\tPRECISION\tRECALL\tFIGURES SHOWN\tSTATE")
		for _, m := range ms {
			state := ""
			switch {
			case m.Active:
				state = "active"
			case m.Refused:
				state = "refused"
			}
			// Whether reviewers see the model's own probabilities or ones
			// calibrated to their decisions (linkage.Model.Calibration).
			shown := "model's own"
			if !m.Loads {
				shown = "unreadable"
			} else if m.Calibrated {
				shown = "calibrated"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%.3f\t%.3f\t%s\t%s\n", m.Version, m.CreatedAt.UTC().Format("2006-01-02 15:04"), m.Source,
				m.Report.Trained, m.Report.HeldOut, m.Report.Candidate.Precision, m.Report.Candidate.Recall, shown, state)
		}
		if len(ms) == 0 {
			fmt.Fprintln(tw, "(none: the built-in model is in use)")
		}
		return tw.Flush()
	case "activate":
		v, err := strconv.ParseInt(rest[0], 10, 64)
		if err != nil || v < 0 {
			fmt.Fprintf(stdio.Err, "cityid linkage model activate: %q is not a version number\n", rest[0])
			return errUsage
		}
		if err := a.Screener.Activate(ctx, by, v, now); err != nil {
			return fmt.Errorf("linkage model activate: %w", err)
		}
		fmt.Fprintf(stdio.Err, "linkage model: version %d active\n", v)
	case "rollback":
		v, err := a.Screener.Rollback(ctx, by, now)
		if err != nil {
			return fmt.Errorf("linkage model rollback: %w", err)
		}
		fmt.Fprintf(stdio.Err, "linkage model: rolled back; version %d active (0: built-in)\n", v)
	case "import":
		b, err := os.ReadFile(rest[0])
		if err != nil {
			return fmt.Errorf("linkage model import: %w", err)
		}
		v, err := a.Screener.Import(ctx, by, b, now)
		if errors.Is(err, dedup.ErrRefused) {
			return fmt.Errorf("linkage model import: %s: %w", rest[0], err)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdio.Err, "linkage model: %s stored as version %d (not active: 'cityid linkage model activate %d')\n", rest[0], v, v)
	}
	return nil
}

// printCalibration says, band by band, how the figures the new model
// shows for held-out pairs compare with what reviewers decided, and
// whether they are calibrated to the decisions.
func printCalibration(w io.Writer, rep dedup.ModelReport) {
	if rep.Calibrated {
		fmt.Fprintf(w, "linkage model: the figures shown to reviewers are calibrated to the decisions it learned from (held-out Brier score %.4f; %.4f without)\n",
			rep.Candidate.Brier, rep.UncalibratedBrier)
	} else if rep.CalibrationNote != "" {
		fmt.Fprintf(w, "linkage model: the figures shown are the model's own, not calibrated: %s\n", rep.CalibrationNote)
	}
	fmt.Fprintln(w, "linkage model: its figures against the held-out decisions:")
	for _, b := range rep.Candidate.Calibration {
		if b.Pairs == 0 {
			continue
		}
		pairs := "pairs"
		if b.Pairs == 1 {
			pairs = "pair"
		}
		fmt.Fprintf(w, "  %3.0f–%3.0f %%: %d %s; the model says %.0f %% on average, reviewers called %.0f %% one person\n",
			100*b.From, 100*b.To, b.Pairs, pairs, 100*b.MeanProbability, 100*b.SameShare())
	}
}
