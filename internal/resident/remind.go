package resident

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cityid/cityid/internal/i18n"
	"github.com/cityid/cityid/internal/notify"
	"github.com/cityid/cityid/internal/store"
)

// sendReminder tells a resident who opted in the time and place of their
// visit; the message holds nothing else.
func (s *Site) sendReminder(ctx context.Context, pre *Preapplication, a store.Appointment) error {
	sl, err := s.app.DB.Slot(ctx, a.SlotID)
	if err != nil {
		return err
	}
	st, err := s.app.DB.Site(ctx, a.SiteID)
	if err != nil {
		return err
	}
	m := Reminder(s.app.I18n.Printer(pre.Person.Language), pre, sl.StartsAt.In(s.loc), st.Name+", "+st.Address)
	if m.To == "" {
		return errors.New("no contact for the chosen channel")
	}
	return s.opts.Notify.Send(ctx, m)
}

// Reminder builds the message for a pre-application's appointment.
func Reminder(p i18n.Printer, pre *Preapplication, when time.Time, place string) notify.Message {
	m := notify.Message{When: when, Place: place, Subject: p.T("resident.remind.subject")}
	switch pre.RemindBy {
	case "sms":
		m.Channel, m.To = notify.SMS, pre.Person.Phone
	case "email":
		m.Channel, m.To = notify.Email, pre.Person.Email
	}
	m.Body = p.T("resident.remind.body", "date", longDate(p.T, when), "time", when.Format("15:04"), "place", place)
	return m
}

// SendReminders sends a reminder for every live booking starting within
// the next `ahead` (e.g. 24 hours) whose resident opted in, once each. The
// server runs it periodically; it returns how many went out.
func (s *Site) SendReminders(ctx context.Context, ahead time.Duration) (int, error) {
	if s.opts.Notify == nil {
		return 0, nil
	}
	now := s.app.Now()
	due, err := s.app.DB.DueReminders(ctx, now, now.Add(ahead))
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, a := range due {
		pre, err := s.preapps.ByID(ctx, a.PreappID)
		if err != nil {
			continue
		}
		if pre.RemindBy != "" {
			if err := s.sendReminder(ctx, pre, a); err != nil {
				s.log.Warn("reminder not sent", "appointment", a.ID, "err", err)
				continue
			}
			sent++
		}
		if err := s.app.DB.InTx(ctx, func(tx *store.Tx) error { return tx.MarkReminded(ctx, a.ID) }); err != nil {
			return sent, fmt.Errorf("reminders: %w", err)
		}
	}
	return sent, nil
}
