package site

import (
	"testing"
	"time"
)

func TestRanges(t *testing.T) {
	day := []Span{{From: "09:00", To: "17:00"}}
	sat := []Span{{From: "09:00", To: "12:00"}}
	var week WeekHours
	for d := time.Monday; d <= time.Friday; d++ {
		week[d] = day
	}
	week[time.Saturday] = sat
	split := week
	split[time.Wednesday] = sat
	tests := []struct {
		name string
		h    WeekHours
		want []DayRange
	}{
		{"unknown", WeekHours{}, nil},
		{"weekdays, Saturday morning", week, []DayRange{{time.Monday, time.Friday, day}, {time.Saturday, time.Saturday, sat}, {time.Sunday, time.Sunday, nil}}},
		{"short Wednesday", split, []DayRange{{time.Monday, time.Tuesday, day}, {time.Wednesday, time.Wednesday, sat}, {time.Thursday, time.Friday, day},
			{time.Saturday, time.Saturday, sat}, {time.Sunday, time.Sunday, nil}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Ranges(tc.h)
			if len(got) != len(tc.want) {
				t.Fatalf("Ranges = %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i].From != tc.want[i].From || got[i].To != tc.want[i].To || FormatDay(got[i].Spans) != FormatDay(tc.want[i].Spans) {
					t.Errorf("range %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
	if got := MapURL("165 Church St, New Haven, CT"); got != "https://www.openstreetmap.org/search?query=165+Church+St%2C+New+Haven%2C+CT" {
		t.Errorf("MapURL = %s", got)
	}
}
