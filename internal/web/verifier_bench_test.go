package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/auth"
)

// BenchmarkVerifyPage measures the public verifier page on loopback: a
// scanned payload posted, the card checked against the database's status
// list and the result page rendered with the face image. All requests come
// from 127.0.0.1, so each moves the test clock on 2 s: the page's limit of
// 30 a minute per client address refills and never triggers.
//
//	go test -run=^$ -bench=VerifyPage -benchtime=2000x ./internal/web/
func BenchmarkVerifyPage(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	clerk := e.addStaff(b, "clerk1", auth.RoleClerk, e.siteA.ID)
	sup := e.addStaff(b, "sup1", auth.RoleSupervisor, "")
	clerkA := auth.Actor{StaffID: clerk.ID, Username: clerk.Username, Role: clerk.Role, SiteID: clerk.SiteID}
	supA := auth.Actor{StaffID: sup.ID, Username: sup.Username, Role: sup.Role}
	a, err := e.app.Enroll.Submit(ctx, clerkA, "", validIntake(b, e, "bench"))
	if err != nil {
		b.Fatal(err)
	}
	if err := e.app.Enroll.Approve(ctx, supA, a.ID, ""); err != nil {
		b.Fatal(err)
	}
	issuer := e.addStaff(b, "issuer1", auth.RoleSupervisor, "") // four eyes: not the approver
	cd, err := e.app.Cards.Issue(ctx, auth.Actor{StaffID: issuer.ID, Username: issuer.Username, Role: issuer.Role}, a.ID)
	if err != nil {
		b.Fatal(err)
	}
	payload, err := e.app.Cards.QRPayload(ctx, supA, cd.ID)
	if err != nil {
		b.Fatal(err)
	}
	form := url.Values{"payload": {payload}}.Encode()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var mu sync.Mutex
	var lat []time.Duration
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			e.clk.Add(2 * time.Second)
			t0 := time.Now()
			req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/verify", strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := hc.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "verdict-ok") {
				b.Errorf("POST /verify = %d, valid shown %v", res.StatusCode, strings.Contains(string(body), "verdict-ok"))
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
}
