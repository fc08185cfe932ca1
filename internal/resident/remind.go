package resident

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/booking"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/i18n"
	"github.com/cityid/cityid/internal/notify"
	"github.com/cityid/cityid/internal/site"
)

// sendReminder tells a resident who opted in the time and place of their
// visit; the message holds nothing else.
func (s *Site) sendReminder(ctx context.Context, pre *enroll.Preapplication, a booking.Appointment) error {
	return sendReminder(ctx, s.svc, s.opts.Notify, pre, a)
}

func sendReminder(ctx context.Context, a *app.Services, sender notify.Sender, pre *enroll.Preapplication, ap booking.Appointment) error {
	loc := a.Location
	sl, err := a.Booking.Slot(ctx, ap.SlotID)
	if err != nil {
		return err
	}
	st, err := a.Sites.Get(ctx, ap.SiteID)
	if err != nil {
		return err
	}
	m := Reminder(a.I18n.Printer(pre.Person.Language), pre, sl.StartsAt.In(loc), st.Name+", "+st.Address)
	if m.To == "" {
		return errors.New("no contact for the chosen channel")
	}
	return sender.Send(ctx, m)
}

// Reminder builds the message for a pre-application's appointment.
func Reminder(p i18n.Printer, pre *enroll.Preapplication, when time.Time, place string) notify.Message {
	m := notify.Message{When: when, Place: place, Subject: p.T("resident.remind.subject")}
	switch pre.RemindBy {
	case "sms":
		m.Channel, m.To = notify.SMS, pre.Person.Phone
	case "email":
		m.Channel, m.To = notify.Email, pre.Person.Email
	}
	m.Body = p.T("resident.remind.body", "date", p.LongDate(when), "time", p.Time(when), "place", place)
	return m
}

// SendReminders sends a reminder for every live booking starting within
// the next `ahead` (e.g. 24 hours) whose resident opted in, once each, with
// the site's sender. It returns how many went out.
func (s *Site) SendReminders(ctx context.Context, ahead time.Duration) (int, error) {
	if s.opts.Notify == nil {
		return 0, nil
	}
	return Remind(ctx, s.svc, s.opts.Notify, ahead)
}

// Remind is SendReminders for a server without a Site at hand: `cityid
// serve` runs it every few minutes with its configured sender.
func Remind(ctx context.Context, a *app.Services, sender notify.Sender, ahead time.Duration) (int, error) {
	pres := a.Preapps
	now := a.Now()
	due, err := a.Booking.DueReminders(ctx, now, now.Add(ahead))
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, ap := range due {
		pre, err := pres.ByID(ctx, ap.PreappID)
		if err == nil && pre.RemindBy != "" {
			if err := sendReminder(ctx, a, sender, pre, ap); err != nil {
				if a.Log != nil {
					a.Log.Warn("reminder not sent", "appointment", ap.ID, "err", err)
				}
				continue
			}
			sent++
		}
		if err := a.Booking.MarkReminded(ctx, ap.ID); err != nil {
			return sent, fmt.Errorf("reminders: %w", err)
		}
	}
	return sent, nil
}

// CardReady returns the card service's OnPrinted hook: a holder who asked
// for reminders when pre-applying hears that the card is ready, and where
// to pick it up — on a channel the sender delivers, else not at all. The
// message holds the office only.
func CardReady(a *app.Services, sender notify.Sender) func(ctx context.Context, printed []card.Card) {
	return func(ctx context.Context, printed []card.Card) {
		for _, c := range printed {
			if err := cardReady(ctx, a, sender, c); err != nil && a.Log != nil {
				a.Log.Warn("card-ready notice not sent", "card", c.ID, "err", err)
			}
		}
	}
}

func cardReady(ctx context.Context, a *app.Services, sender notify.Sender, c card.Card) error {
	pre, err := a.Preapps.ForNotices(ctx, c.ApplicationID)
	if errors.Is(err, errs.ErrNotFound) {
		return nil // a paper application, or no notices asked for
	}
	if err != nil {
		return err
	}
	if pre.RemindBy == "" || !notify.Can(sender, notify.Channel(pre.RemindBy)) {
		return nil
	}
	siteID, err := a.Applications.SiteOf(ctx, c.ApplicationID)
	if err != nil {
		return err
	}
	st, err := a.Sites.Get(ctx, siteID)
	if err != nil {
		return err
	}
	return sender.Send(ctx, ReadyNotice(a.I18n.Printer(pre.Person.Language), pre, a.Now().In(a.Location), st))
}

// ReadyNotice builds the "your card is ready at X" message.
func ReadyNotice(p i18n.Printer, pre *enroll.Preapplication, now time.Time, st site.Site) notify.Message {
	place := st.Name + ", " + st.Address
	m := notify.Message{When: now, Place: place, Subject: p.T("resident.ready.subject")}
	switch pre.RemindBy {
	case "sms":
		m.Channel, m.To = notify.SMS, pre.Person.Phone
	case "email":
		m.Channel, m.To = notify.Email, pre.Person.Email
	}
	m.Body = p.T("resident.ready.body", "place", place)
	if st.Phone != "" {
		m.Body += " " + p.T("resident.ready.phone", "phone", st.Phone)
	}
	return m
}
