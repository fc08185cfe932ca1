package linkage

// Evaluation compares predicted pairs with the truth labels of the records.
type Evaluation struct {
	Records          int     `json:"records"`
	Candidates       int64   `json:"candidates"`
	TruePairs        int64   `json:"true_pairs"`
	Predicted        int     `json:"predicted"`
	TruePositives    int     `json:"true_positives"`
	Precision        float64 `json:"precision"`
	Recall           float64 `json:"recall"`
	F1               float64 `json:"f1"`
	PairCompleteness float64 `json:"pair_completeness"`
	ReductionRatio   float64 `json:"reduction_ratio"`
}

// Evaluate scores a Dedup result (right == nil) or a Link result against the
// records' Truth labels. Records without a label never form a true pair.
func Evaluate(left, right []Record, res *Result) Evaluation {
	ev := Evaluation{Records: len(left) + len(right), Candidates: res.Stats.Candidates,
		Predicted: len(res.Pairs), ReductionRatio: res.Stats.ReductionRatio}
	count := func(rs []Record) map[string]int64 {
		c := map[string]int64{}
		for _, r := range rs {
			if r.Truth != "" {
				c[r.Truth]++
			}
		}
		return c
	}
	cl := count(left)
	if right == nil {
		for _, n := range cl {
			ev.TruePairs += n * (n - 1) / 2
		}
	} else {
		for k, n := range count(right) {
			ev.TruePairs += n * cl[k]
		}
	}
	other := right
	if other == nil {
		other = left
	}
	for _, p := range res.Pairs {
		if t := left[p.Left].Truth; t != "" && t == other[p.Right].Truth {
			ev.TruePositives++
		}
	}
	if ev.Predicted > 0 {
		ev.Precision = float64(ev.TruePositives) / float64(ev.Predicted)
	}
	if ev.TruePairs > 0 {
		ev.Recall = float64(ev.TruePositives) / float64(ev.TruePairs)
		ev.PairCompleteness = float64(res.Stats.CandidateMatches) / float64(ev.TruePairs)
	}
	if ev.Precision+ev.Recall > 0 {
		ev.F1 = 2 * ev.Precision * ev.Recall / (ev.Precision + ev.Recall)
	}
	return ev
}
